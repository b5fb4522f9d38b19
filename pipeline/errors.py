"""What the CLI does with an exception: bad input or a damaged file is one line on stderr and
exit 2; anything unexpected is a short message naming a log file that holds the traceback,
and exit 1. ``--verbose`` (or ``LSTMLAB_DEBUG=1``) shows the traceback instead."""

from __future__ import annotations

import pickle
import tempfile
import time
import traceback
import unicodedata
import zipfile
from pathlib import Path

from lstmlab.pipeline.files import RunFolderLocked

# Bad input or state: our own errors are ValueErrors; the others are what reading a bad or
# damaged file raises in the standard library and the libraries we read files with.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, OSError, RunFolderLocked, zipfile.BadZipFile,
                                                pickle.UnpicklingError, EOFError)


def write_crash_log(error: BaseException) -> Path:
    """Write the traceback of an unexpected ``error`` to a file in the temporary folder; return its path."""
    path = Path(tempfile.gettempdir()) / f"lstmlab-error-{time.strftime('%Y%m%d-%H%M%S')}.log"
    path.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    return path


def printable(text: str) -> str:
    r"""``text`` with control characters (an escape sequence that would clear the terminal, say)
    written as Python escapes, for messages that echo what the user typed::

        >>> printable("王\x1b[2J and a tab\t")
        '王\\x1b[2J and a tab\\t'
    """
    return "".join(repr(character)[1:-1] if unicodedata.category(character) == "Cc" and character != "\n"
                   else character for character in text)
