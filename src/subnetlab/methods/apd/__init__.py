"""Attribution-based Parameter Decomposition (APD, reference spd.md §4)."""
