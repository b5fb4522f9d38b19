"""The command-line side of data-parallel training: ``--distributed`` and ``--local-processes N``
on ``lstmlab train`` and ``lstmlab run``.

* ``--distributed``: this process trains data parallel over all its devices and, when
  ``[distribute]`` or the ``KERAS_DISTRIBUTION_*`` variables name several processes, over
  theirs too (each host runs the same command with its own process id).
* ``--local-processes N``: start N such processes on this machine and wait for them
  (:mod:`pipeline.launcher`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lstmlab.pipeline.config import PipelineConfig


def add_distribution_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--distributed", action="store_true",
                        help="train data parallel (JAX backend) over every device of this process, and of the "
                        "processes named by [distribute] or KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES / "
                        "_PROCESS_ID")
    parser.add_argument("--local-processes", type=int, default=0, metavar="N",
                        help="train data parallel in N processes on this machine (127.0.0.1, JAX backend, "
                        "each pinned to its share of the cores)")


def distribution_overrides(args: argparse.Namespace) -> list[str]:
    """``--set`` overrides that the distribution flags stand for."""
    if getattr(args, "local_processes", 0) < 0 or getattr(args, "local_processes", 0) == 1:
        raise ValueError(f"--local-processes {args.local_processes}: give 2 or more processes")
    return ["distribute.enabled=true"] if getattr(args, "distributed", False) else []


def _config_arguments(args: argparse.Namespace) -> list[str]:
    """The config flags of ``args`` again, for the child processes."""
    arguments = ["--config", str(args.config)] if args.config else []
    arguments += ["--preset", args.preset] if args.preset else []
    for override in args.overrides:
        arguments += ["--set", override]
    return arguments


def train_in_local_processes(args: argparse.Namespace, run_dir: Path, corpus: Path, config: PipelineConfig,
                             force: bool) -> None:
    """Run the train stage of ``run_dir`` in ``args.local_processes`` processes (stages before it
    are current already), unless it is up to date and not forced. Prints what it did."""
    from lstmlab.pipeline.launcher import launch_local_processes
    from lstmlab.pipeline.runner import stage_is_current

    if not force and stage_is_current(corpus, run_dir, config, "train"):
        print("[train] up to date, skipped")
        return
    started = time.perf_counter()
    launch_local_processes(args.local_processes, ["train", str(run_dir), *_config_arguments(args), "--distributed",
                                                  *(["--force"] if force else [])])
    print(f"[train] done in {time.perf_counter() - started:.1f}s by {args.local_processes} processes")


def run_as_worker(run_dir: Path, config: PipelineConfig) -> bool:
    """In processes 1.. of a data-parallel training, feed this process's share and return True;
    in process 0 or without distribution, return False (the stage runs as usual)."""
    from lstmlab.pipeline.stages.train import is_worker, run_worker

    if not is_worker(config):
        return False
    run_worker(run_dir, config)
    return True
