"""Entry point: ``python run.py method=spd model=tms`` (see README.md and ``--help``)."""

import sys

from subnetlab.cli.preflight import check_launcher
from subnetlab.cli.sweep_signals import stop_sweep_on_signal

check_launcher(sys.argv[1:])
stop_sweep_on_signal(sys.argv[1:])

import hydra  # noqa: E402 - after the checks that need no heavy import
from omegaconf import DictConfig  # noqa: E402

from subnetlab.cli.main import entry  # noqa: E402
from subnetlab.cli.run_dir import register_resolvers  # noqa: E402

register_resolvers()


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    return entry(cfg)


if __name__ == "__main__":
    main()
