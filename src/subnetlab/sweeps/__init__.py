"""Tools over finished sweep folders."""
