"""Progress of long loops: a tqdm bar when stdout is a terminal, plain lines otherwise.

A loop that can run for more than a few seconds wraps itself in a :class:`Progress`. On a terminal
it draws tqdm's bar; when stdout is not a terminal (redirected to a file, a pipe, a sweep worker)
it logs one plain line every ``every_s`` seconds (count, rate, elapsed time, ETA and the latest
values such as the loss) and a closing line with the total time. The lines go through the
``subnetlab`` logger, so a run's ``run.log`` always holds them, also when the bar is drawn (then
they are marked file-only and stay off the console).

How a process reports (bar or not, seconds between lines) is process-wide, like its logging: the
runner sets it from ``trainer.progress_bar`` and ``trainer.progress_every_s`` with
:func:`configure`.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from tqdm import tqdm

from subnetlab.utils.log_records import FILE_ONLY

log = logging.getLogger("subnetlab")

#: seconds between plain progress lines unless configured otherwise
DEFAULT_EVERY_S = 30.0
#: a loop that does not announce itself shows its bar only once it has run this long
QUIET_DELAY_S = 2.0


@dataclass
class ProgressSettings:
    console: bool = True
    """report on the console (a bar or lines); False: the lines go to run.log only."""
    every_s: float = DEFAULT_EVERY_S
    """seconds between plain lines; 0 writes a line at every update."""


_settings = ProgressSettings()


def configure(console: bool, every_s: float) -> None:
    """Set how every :class:`Progress` of this process reports (see the module docstring).

    Raises:
        ValueError: ``every_s`` is negative or not finite.
    """
    if not 0.0 <= every_s < float("inf"):
        raise ValueError(f"progress every_s must be a finite number >= 0; got {every_s}")
    _settings.console, _settings.every_s = console, float(every_s)


def settings() -> ProgressSettings:
    """The process's current settings (a copy)."""
    return ProgressSettings(_settings.console, _settings.every_s)


def stdout_is_terminal() -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty is not None and isatty())


def format_value(value: Any) -> str:
    """A postfix value as a short string (4 significant digits for numbers)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class Progress:
    """Progress of one loop of ``total`` units (steps, pairs, jobs).

    Use as a context manager (or call :meth:`close`); :meth:`update` / :meth:`advance_to` move it,
    :meth:`set_values` attaches the latest numbers (e.g. ``loss=0.012``) to the bar and lines.

    Args:
        description: what is being done, the head of every line (e.g. ``spd on tms``).
        total: units the loop will do (None: unknown, no percentage or ETA).
        unit: the singular name of a unit (``step``); lines print its plural with an ``s``.
        initial: units already done (a resumed fit).
        announce: write a line when the loop starts and ends. False (a loop that is often short):
            nothing shows before the loop has run ``QUIET_DELAY_S`` (then the bar, or a first
            line), and the closing line is written only after such a line.
        eta: estimate the time left from the mean rate so far; False for loops whose units
            take very different times (pairs that converge at different iterations).
        console, every_s: override the process's :func:`configure` settings for this loop.
    """

    def __init__(
        self,
        description: str,
        total: int | None,
        unit: str = "step",
        initial: int = 0,
        announce: bool = True,
        eta: bool = True,
        console: bool | None = None,
        every_s: float | None = None,
    ) -> None:
        if total is not None and total < 0:
            raise ValueError(f"total must be >= 0 or None; got {total}")
        self.description, self.total, self.unit = description, total, unit
        self.initial = self.count = initial
        self.console = _settings.console if console is None else console
        self.every_s = _settings.every_s if every_s is None else every_s
        if self.every_s < 0:
            raise ValueError(f"every_s must be >= 0; got {self.every_s}")
        self.announce, self.eta = announce, eta
        self.values: dict[str, Any] = {}
        self.started = self.last_line = time.perf_counter()
        self.wrote_status = False
        self.bar: tqdm | None = None
        if self.console and stdout_is_terminal():
            self.bar = tqdm(
                total=total,
                initial=initial,
                desc=description,
                unit=unit,
                dynamic_ncols=True,
                mininterval=0.5,
                delay=0.0 if announce else QUIET_DELAY_S,
                file=sys.stderr,
            )
        self.closed = False
        if announce:
            self._line(self._start_text())

    # -- moving ------------------------------------------------------------------------------
    def update(self, n: int = 1) -> None:
        """``n`` more units done."""
        self.advance_to(self.count + n)

    def advance_to(self, count: int) -> None:
        """``count`` units done in all (from the start, ``initial`` included)."""
        if self.bar is not None:
            self.bar.update(count - self.count)
        self.count = count
        now = time.perf_counter()
        # a quiet loop's first line comes once it proves long, then one every every_s
        first_of_quiet = not self.announce and not self.wrote_status
        wait = min(QUIET_DELAY_S, self.every_s) if first_of_quiet else self.every_s
        due = now - self.last_line >= wait
        if due and not self._finished():
            self.last_line = now
            self.wrote_status = True
            self._line(self.status_text(now))

    def set_values(self, **values: Any) -> None:
        """The latest numbers to show beside the count (replacing earlier ones)."""
        self.values = values
        if self.bar is not None:
            self.bar.set_postfix({k: format_value(v) for k, v in values.items()}, refresh=False)

    def close(self) -> None:
        """Write the closing line (count, total time, mean rate) and close the bar; idempotent."""
        if self.closed:
            return
        self.closed = True
        if self.bar is not None:
            self.bar.close()
        if self.announce or self.wrote_status:
            self._line(self.closing_text(time.perf_counter()))

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- text --------------------------------------------------------------------------------
    def _finished(self) -> bool:
        return self.total is not None and self.count >= self.total

    def _plural(self) -> str:
        return self.unit if self.unit.endswith("s") else f"{self.unit}s"

    def _count_text(self) -> str:
        if self.total is None:
            return f"{self.count} {self._plural()}"
        return f"{self.count}/{self.total} {self._plural()}"

    def _rate(self, now: float) -> float | None:
        elapsed = now - self.started
        done = self.count - self.initial
        return done / elapsed if elapsed > 0 and done > 0 else None

    def _start_text(self) -> str:
        if self.total is None:
            return f"{self.description}: started"
        resumed = f", resuming at {self.initial}" if self.initial else ""
        return f"{self.description}: {self.total} {self._plural()} to do{resumed}"

    def status_text(self, now: float) -> str:
        """``<description>: 450/1000 steps (45%), 45.1 steps/s, elapsed 00:10, ETA 00:12,
        loss 0.0123``."""
        parts = [self._count_text()]
        if self.total:
            parts[0] += f" ({100 * self.count / self.total:.0f}%)"
        rate = self._rate(now)
        if rate is not None:
            parts.append(f"{rate:.3g} {self._plural()}/s")
        parts.append(f"elapsed {tqdm.format_interval(now - self.started)}")
        if rate is not None and self.total is not None and self.eta:
            parts.append(f"ETA {tqdm.format_interval((self.total - self.count) / rate)}")
        parts.extend(f"{k} {format_value(v)}" for k, v in self.values.items())
        return f"{self.description}: " + ", ".join(parts)

    def closing_text(self, now: float) -> str:
        """``<description>: 1000/1000 steps in 00:22 (45.1 steps/s), loss 0.0101``."""
        took = tqdm.format_interval(now - self.started)
        text = f"{self.description}: {self._count_text()} in {took}"
        rate = self._rate(now)
        if rate is not None:
            text += f" ({rate:.3g} {self._plural()}/s)"
        if self.values:
            text += ", " + ", ".join(f"{k} {format_value(v)}" for k, v in self.values.items())
        return text

    def _line(self, text: str) -> None:
        """One plain line: on the console and in run.log when no bar is drawn, else run.log only.
        Outside a configured logging setup (a script, a notebook) it is printed."""
        if not log.hasHandlers():
            if self.console and self.bar is None:
                print(text, flush=True)
            return
        quiet = self.bar is not None or not self.console
        log.info(text, extra=FILE_ONLY if quiet else None)
