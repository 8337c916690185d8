"""What a run is called outside its folder: the model option it was composed with (metrics.json's
``model``) and its name in TensorBoard and W&B, read from Hydra's record of the command
(``hydra.runtime.choices``, ``hydra.overrides.task``).

run.py fills both into the job's config (``model_option``, ``run_name`` unless the command set
one) and into the copy Hydra saved as ``.hydra/config.yaml``, so a reloaded run knows them. Other
callers (the Python API, a study's stages, targets trained on the fly) leave them null: the runner
then names a run after the method and the model's family."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from subnetlab.utils.atomic_files import write_text_atomic
from subnetlab.utils.folder_names import MAX_RUN_NAME, safe_folder_name

#: overrides that say where a run lives or how it is shown, not what it computes (prefixes)
_NOT_IN_NAME = ("resume", "paths.", "hydra", "print_config", "run_name", "trainer.progress_bar")
#: already in the name's head (``<method>_<model>``)
_IN_HEAD = ("method", "model")


def _key(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def model_option(hydra: Any) -> str | None:
    """The ``model=`` option the job was composed with (``tms_40_10``, where the model's
    ``name`` says only its family ``tms``). ``hydra``: the job's Hydra config
    (``HydraConfig.get()``)."""
    choice = hydra.runtime.choices.get("model")
    return None if choice is None else str(choice)


def run_name(hydra: Any) -> str:
    """``<method>_<model option>`` and the job's other overrides as one folder-safe name
    (``spd_tms_40_10,seed=3``). Where a run lives (``paths.*``, ``resume``, ``hydra.*``) and how
    it prints are left out, so a resumed run keeps its name."""
    head = f"{hydra.runtime.choices.get('method')}_{model_option(hydra)}"
    kept = [
        str(override)
        for override in hydra.overrides.task
        if _key(str(override)) not in _IN_HEAD and not _key(str(override)).startswith(_NOT_IN_NAME)
    ]
    return safe_folder_name([head, *kept], "run", MAX_RUN_NAME)


def record_run_identity(cfg: DictConfig, hydra: Any, save: bool) -> None:
    """Set ``model_option`` and (unless the command gave one) ``run_name`` in the job's config
    ``cfg`` and, with ``save`` (the process that writes the run's files), in Hydra's saved copy
    of it, ``<run folder>/.hydra/config.yaml``."""
    with open_dict(cfg):
        cfg.model_option = model_option(hydra)
        if cfg.get("run_name") is None:
            cfg.run_name = run_name(hydra)
    if not save or hydra.get("output_subdir") is None:
        return
    saved = Path(hydra.runtime.output_dir) / str(hydra.output_subdir) / "config.yaml"
    if saved.is_file():
        write_text_atomic(saved, OmegaConf.to_yaml(cfg))
