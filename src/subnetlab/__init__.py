"""subnetlab: find the sub-networks and mechanisms inside neural networks.

``subnetlab.load_run(run_dir)`` loads a finished run folder back (see README, "Loading a run in
Python"); it and its types import torch and Lightning only when first used, so ``import
subnetlab`` stays light."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from subnetlab.lifecycle.load import LoadedRun, RunFolderError, load_run

__all__ = ["LoadedRun", "RunFolderError", "load_run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from subnetlab.lifecycle import load

        return getattr(load, name)
    raise AttributeError(f"module 'subnetlab' has no attribute {name!r}")
