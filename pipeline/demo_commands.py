"""CLI commands for the classic demos and the numpy reference LSTM (registered by :mod:`pipeline.cli`)."""

from __future__ import annotations


def add_commands(commands) -> None:
    """Add the demo subcommands to the ``lstmlab`` parser's subparsers."""
