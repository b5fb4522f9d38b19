"""``--local-processes N``: data-parallel training in N processes on this machine.

Starts N copies of ``lstmlab train RUN`` on the JAX backend, joined through a free port on
127.0.0.1 with the Keras distribution environment variables, each pinned to its own share of
the cores, and waits for them. If one fails, the others are stopped and the error names it;
so a dead process never leaves the rest hanging in a collective.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Callable

from lstmlab.models.distributed import DistributionError

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 10.0  # after SIGTERM, before SIGKILL
FINISH_GRACE_SECONDS = 60.0  # the others may finish this long after process 0 has


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def core_shares(cores: list[int], count: int) -> list[list[int]]:
    """Split ``cores`` into ``count`` nearly equal groups (processes share cores when there are fewer)::

        >>> core_shares([0, 1, 2, 3], 2)
        [[0, 1], [2, 3]]
        >>> core_shares([0, 1], 3)
        [[0], [1], [0]]
    """
    if count <= len(cores):
        size, extra = divmod(len(cores), count)
        bounds = [index * size + min(index, extra) for index in range(count + 1)]
        return [cores[bounds[i] : bounds[i + 1]] for i in range(count)]
    return [[cores[index % len(cores)]] for index in range(count)]


def _child_setup(cores: list[int]) -> Callable[[], None]:
    """What each child runs before Python starts: pin it to ``cores``, and have the kernel kill it
    if the launcher dies (Linux ``PR_SET_PDEATHSIG``), so no process is left waiting in a collective."""

    def setup() -> None:
        os.sched_setaffinity(0, cores)
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # not Linux: the launcher's own clean-up still stops them
            pass

    return setup


def _describe(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def stop_processes(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_processes(count: int, command: list[str], quiet_command: list[str] | None = None,
                    first_stdout=None, stderr=None) -> list[subprocess.Popen]:
    """Start ``count`` processes of ``command`` joined as one data-parallel job on 127.0.0.1 (the
    Keras distribution variables, JAX backend), each pinned to its share of the cores. Processes
    1.. run ``quiet_command`` (default ``command``) with their output discarded; process 0 writes
    to ``first_stdout`` (default: this terminal); all write errors to ``stderr`` (default: this
    terminal)."""
    port = free_port()
    shares = core_shares(sorted(os.sched_getaffinity(0)), count)
    processes = []
    for index in range(count):
        env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu"),
               "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{port}",
               "KERAS_DISTRIBUTION_NUM_PROCESSES": str(count), "KERAS_DISTRIBUTION_PROCESS_ID": str(index)}
        arguments = command if index == 0 else (quiet_command or command)
        processes.append(subprocess.Popen(arguments, env=env, text=True,
                                          stdout=first_stdout if index == 0 else subprocess.DEVNULL, stderr=stderr,
                                          preexec_fn=_child_setup(shares[index])))
    logger.info("started %d processes on 127.0.0.1:%d, cores %s", count, port, shares)
    return processes


def launch_local_processes(count: int, arguments: list[str], poll_seconds: float = 0.2,
                           on_start: Callable[[list[subprocess.Popen]], None] | None = None) -> None:
    """Run ``python -m pipeline.cli ARGUMENTS`` as ``count`` data-parallel processes and wait.

    Process 0 keeps this terminal's output; the others run quietly. Raises
    :class:`DistributionError` naming the first process that fails (after stopping the rest).
    ``on_start`` gets the processes once started (tests use it to kill one).
    """
    command = [sys.executable, "-m", "lstmlab.pipeline.cli"]
    processes = start_processes(count, [*command, *arguments], [*command, "-q", *arguments])
    if on_start:
        on_start(processes)
    try:
        wait_for_processes(processes, poll_seconds)
    finally:
        stop_processes(processes)


def wait_for_processes(processes: list[subprocess.Popen], poll_seconds: float) -> None:
    """Return once all have exited with 0 (or process 0 has, and the rest had time to);
    raise :class:`DistributionError` at the first that fails."""
    finished_at = None
    while True:
        for index, process in enumerate(processes):
            returncode = process.poll()
            if returncode not in (None, 0):
                raise DistributionError(f"training process {index} of {len(processes)} {_describe(returncode)}; "
                                        "stopped the others")
        if all(process.poll() == 0 for process in processes):
            return
        if processes[0].poll() == 0:
            finished_at = finished_at or time.monotonic()
            if time.monotonic() - finished_at > FINISH_GRACE_SECONDS:
                return
        time.sleep(poll_seconds)
