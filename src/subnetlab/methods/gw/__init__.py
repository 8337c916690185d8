"""Gromov-Wasserstein layer clustering: functional layer groups from GW distances."""
