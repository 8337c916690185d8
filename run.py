"""Entry point: ``python run.py method=spd model=tms`` (see README.md and ``--help``)."""

import sys
from pathlib import Path

from subnetlab.cli.preflight import check_hydra_flags, check_launcher
from subnetlab.cli.sweep_signals import stop_sweep_on_signal

check_launcher(sys.argv[1:])
stop_sweep_on_signal(sys.argv[1:])

import hydra  # noqa: E402 - after the checks that need no heavy import
from omegaconf import DictConfig  # noqa: E402

from subnetlab.cli.help import print_knob_help, wants_knob_help  # noqa: E402
from subnetlab.cli.run_dir import register_resolvers  # noqa: E402
from subnetlab.schemas.store import store_schema_defaults  # noqa: E402

CONF = Path(__file__).resolve().parent / "conf"

register_resolvers()
store_schema_defaults()


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    from subnetlab.cli.main import entry  # torch and Lightning load only for a run

    return entry(cfg)


if __name__ == "__main__":
    if wants_knob_help(sys.argv[1:]):  # before Hydra: the knob listing, read from the schemas
        sys.exit(print_knob_help(sys.argv[1:], CONF))
    from subnetlab.cli.composition_errors import run_reporting_composition_errors
    from subnetlab.cli.output_folders import check_command_line_folders

    check_hydra_flags(sys.argv[1:])  # Hydra's answer to -m --cfg job is a ValueError traceback
    check_command_line_folders(sys.argv[1:])  # Hydra creates them before any of our code runs
    # unknown keys and options: one line with the closest allowed names, not Hydra's "+key"
    run_reporting_composition_errors(main, sys.argv[1:], CONF)
