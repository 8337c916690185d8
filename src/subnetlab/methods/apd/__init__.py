"""Attribution-based Parameter Decomposition (APD, Braun et al. 2025, arXiv:2501.14926)."""
