"""Automated circuit discovery on layered nets: ACDC, edge attribution patching, magnitude."""
