"""Progress of long work: a bar on a terminal, a log line with speed and time left otherwise.

A stage whose output goes to a log file (``lstmlab run ... > run.log``) must still say how far
it is. :class:`Progress` draws a tqdm bar when standard error is a terminal; otherwise it logs
one line at most every ``interval`` seconds, and one at the end::

    >>> times = iter([0.0, 30.0, 61.0, 70.0, 75.0])
    >>> with Progress("memory keys", 400, "keys", clock=lambda: next(times), terminal=False) as progress:
    ...     progress.advance(100)     # 30 s: under a minute since the start, nothing logged
    ...     progress.advance(100)     # 61 s: logged
    ...     progress.advance(100)     # 70 s: nothing
    >>> progress.lines[-2]
    'memory keys: 200/400 keys (50%), 3.3 keys/s, 1:01 so far, about 1:01 left'
    >>> progress.lines[-1]
    'memory keys: 300/400 keys (75%) in 1:15, 4.0 keys/s'
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Callable

from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

LOG_INTERVAL = 60.0


def clock_time(seconds: float) -> str:
    """``seconds`` as h:mm:ss, or m:ss under an hour::

        >>> clock_time(75.4), clock_time(3725)
        ('1:15', '1:02:05')
    """
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class Progress:
    """``total`` units of work called ``label``; :meth:`advance` after each piece. ``enabled``
    False reports nothing; ``terminal`` (default: whether standard error is one) picks the bar
    over log lines, every ``interval`` seconds of ``clock``; ``bar_options`` go to the bar (tqdm's
    ``unit_scale``, ...). :attr:`lines` keeps what was logged."""

    def __init__(self, label: str, total: int, unit: str = "", interval: float = LOG_INTERVAL, enabled: bool = True,
                 terminal: bool | None = None, clock: Callable[[], float] = time.monotonic, **bar_options) -> None:
        self.label, self.total, self.unit, self.interval, self.clock = label, total, unit, interval, clock
        self.enabled, self.done, self.lines = enabled, 0, []
        terminal = sys.stderr.isatty() if terminal is None else terminal
        self.bar = tqdm(total=total, desc=label, unit=unit or "it", **bar_options) if enabled and terminal else None
        self.started = self.last_logged = clock()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def advance(self, amount: int = 1) -> None:
        """Count ``amount`` more units done; log a line if ``interval`` seconds passed since the last."""
        self.done += amount
        if self.bar is not None:
            self.bar.update(amount)
            return
        now = self.clock()
        if self.enabled and now - self.last_logged >= self.interval:
            self.last_logged = now
            elapsed = now - self.started
            rate = self.done / elapsed if elapsed > 0 else 0.0
            left = f", about {clock_time((self.total - self.done) / rate)} left" if rate > 0 else ""
            self._log(f"{self.label}: {self.done}/{self.total} {self.unit} ({self.done / max(self.total, 1):.0%}), "
                      f"{rate:.1f} {self.unit}/s, {clock_time(elapsed)} so far{left}")

    def close(self) -> None:
        """Log the last line (the time taken and the speed) or close the bar."""
        if self.bar is not None:
            self.bar.close()
            return
        if self.enabled:
            elapsed = self.clock() - self.started
            rate = f", {self.done / elapsed:.1f} {self.unit}/s" if elapsed > 0 else ""
            self._log(f"{self.label}: {self.done}/{self.total} {self.unit} ({self.done / max(self.total, 1):.0%}) "
                      f"in {clock_time(elapsed)}{rate}")
            self.enabled = False

    def _log(self, line: str) -> None:
        self.lines.append(line)
        logger.info("%s", line)
