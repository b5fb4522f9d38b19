"""What this machine offers the stages: its usable cores."""

from __future__ import annotations

import os


def default_workers(requested: int) -> int:
    """``requested`` if positive, else the number of cores this process may run on (at least 1)."""
    return requested if requested > 0 else max(1, len(os.sched_getaffinity(0)))
