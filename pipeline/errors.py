"""The exceptions that mean "bad input or state", reported by the CLI as one line and exit status 2.

Set ``LSTMLAB_DEBUG=1`` to get the traceback instead.
"""

from pipeline.files import RunFolderLocked

USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, IsADirectoryError,
                                                PermissionError, RunFolderLocked)
