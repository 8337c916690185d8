"""Stochastic Parameter Decomposition (SPD)."""
