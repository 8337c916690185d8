"""What a run is called outside its folder: the model option it was composed with (metrics.json's
``model``) and its name in TensorBoard and W&B, read from Hydra's record of the command
(``hydra.runtime.choices``, ``hydra.overrides.task``) by the resolvers ``${hydra_choice:model}``
and ``${run_name:}`` of ``conf/config.yaml``.

Outside a Hydra run (the compose API, the Python API, a study's stages) both are None: the runner
then names the run after the method and the model's family."""

from __future__ import annotations

from hydra.core.hydra_config import HydraConfig

from subnetlab.utils.folder_names import MAX_RUN_NAME, safe_folder_name

#: overrides that say where a run lives or how it is shown, not what it computes (prefixes)
_NOT_IN_NAME = ("resume", "paths.", "hydra", "print_config", "run_name", "trainer.progress_bar")
#: already in the name's head (``<method>_<model>``)
_IN_HEAD = ("method", "model")


def _key(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def hydra_choice(group: str) -> str | None:
    """Resolver ``${hydra_choice:GROUP}``: the option of ``GROUP`` this config was composed with
    (``tms_40_10``, where the model's ``name`` says only its family ``tms``); None outside a
    Hydra run."""
    if not HydraConfig.initialized():
        return None
    choice = HydraConfig.get().runtime.choices.get(group)
    return None if choice is None else str(choice)


def run_name() -> str | None:
    """Resolver ``${run_name:}``: ``<method>_<model option>`` and the command's other overrides,
    as one folder-safe name (``spd_tms_40_10,seed=3``); in a sweep, the job's overrides. Where a
    run lives (``paths.*``, ``resume``, ``hydra.*``) and how it prints are left out, so a resumed
    run keeps its name. None outside a Hydra run."""
    if not HydraConfig.initialized():
        return None
    hydra = HydraConfig.get()
    head = f"{hydra.runtime.choices.get('method')}_{hydra.runtime.choices.get('model')}"
    kept = [
        override
        for override in hydra.overrides.task
        if _key(override) not in _IN_HEAD and not _key(override).startswith(_NOT_IN_NAME)
    ]
    return safe_folder_name([head, *kept], "run", MAX_RUN_NAME)
