"""Checking, before any work, that the folders a run writes into can be written.

Hydra creates the run folder (and opens run.log in it) before the task starts, so an unwritable
``outputs/`` or ``hydra.run.dir`` has to be caught earlier: by the resolvers that name the run and
sweep folders, and, for folders given literally on the command line, before Hydra starts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from subnetlab.cli.console import print_error
from subnetlab.lifecycle.output_folders import OutputFolderError, require_writable_folder

#: exit status of bad input (as a config error)
USER_ERROR_EXIT = 2
#: command-line keys that name an output folder, checked before Hydra starts
FOLDER_OVERRIDES = ("hydra.run.dir", "hydra.sweep.dir", "paths.output_dir", "paths.targets_dir")


def exit_unless_writable(folder: Path, key: str) -> None:
    """``require_writable_folder`` for code that runs inside Hydra before the task (resolvers):
    on failure print the one line and exit with status 2, since Hydra would print an exception
    raised there as a traceback."""
    try:
        require_writable_folder(folder, key)
    except OutputFolderError as err:
        print_error("error:", str(err))
        sys.exit(USER_ERROR_EXIT)


def literal_folder(value: str) -> Path | None:
    """The part of a folder override's value before any ``${...}`` interpolation, or None when
    nothing literal is left (a value that is all interpolation is checked once resolved)."""
    literal = value.split("${", 1)[0]
    if not literal.strip():
        return None
    path = Path(literal).expanduser()
    # a cut inside a folder name ("out_${x}") leaves a partial name: keep only whole folders
    return path if "${" not in value or literal.endswith(("/", os.sep)) else path.parent


def check_command_line_folders(argv: list[str]) -> None:
    """Check the folders given literally on the command line (``hydra.run.dir=/data/x``), whose
    creation Hydra does itself: the deepest existing one must be a writable folder.

    Exits with status 2 and one line otherwise."""
    for arg in argv:
        key, sep, value = arg.lstrip("+~").partition("=")
        if not sep or key not in FOLDER_OVERRIDES:
            continue
        folder = literal_folder(value.strip("'\""))
        if folder is None:
            continue
        existing = folder.absolute()
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            print_error(
                "error:", f"cannot create the folder {folder} ({key}): {existing} is not a folder"
            )
            sys.exit(USER_ERROR_EXIT)
        exit_unless_writable(existing, key)
