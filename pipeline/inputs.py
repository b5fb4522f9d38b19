"""The one place that checks a file the user names before any command reads it.

A corpus, a text to inspect or a tokens file must be a regular file that can be read: a
folder, a FIFO (which would block the read forever), a device such as ``/dev/zero`` (which
never ends), a symbolic-link loop or a missing file is a :class:`InputFileError` naming the
path and what it is instead, before anything is read or written::

    >>> check_input_file("/dev/zero")
    Traceback (most recent call last):
    ...
    lstmlab.pipeline.inputs.InputFileError: /dev/zero is a character device, not a regular file; give a text file
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Larger inputs are refused: 2 GB of text is far beyond any novel (and the stages hold it in memory).
MAX_INPUT_BYTES = 2 * 1024 ** 3


class InputFileError(ValueError):
    """A file the user named cannot be read as input; the message says why."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_input_file(path: str | os.PathLike, what: str = "input") -> Path:
    """``path`` as a :class:`Path` if it is a readable regular file of at most
    :data:`MAX_INPUT_BYTES`; else :class:`InputFileError` naming it."""
    path = Path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise InputFileError(f"{what} file {path} does not exist") from None
    except RuntimeError:  # pathlib's symbolic-link loop
        raise InputFileError(f"{path} is a loop of symbolic links") from None
    except OSError as error:
        reason = "a loop of symbolic links" if error.errno == 40 else error.strerror
        raise InputFileError(f"cannot read {what} file {path}: {reason}") from None
    if not stat.S_ISREG(status.st_mode):
        kind = _kind(status.st_mode)
        hint = "give the corpus file itself" if kind == "a folder" else "give a text file"
        raise InputFileError(f"{path} is {kind}, not a regular file; {hint}")
    if status.st_size > MAX_INPUT_BYTES:
        raise InputFileError(f"{path} has {status.st_size:,} bytes; lstmlab reads at most {MAX_INPUT_BYTES:,}")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"cannot read {what} file {path}: permission denied")
    return path


def read_user_text(path: str | os.PathLike) -> str:
    """The UTF-8 text of a file the user named (checked by :func:`check_input_file`)."""
    path = check_input_file(path, "text")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path} is not UTF-8 at byte {error.start}; convert it with lstmlab fix-encoding") from None
