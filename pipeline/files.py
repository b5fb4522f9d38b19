"""Small file helpers shared by the stages: atomic writes, hashing and the run-folder lock."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterator


class RunFolderLocked(RuntimeError):
    """Raised when another lstmlab process already works in the same run folder."""


def sha256_of_file(path: str | os.PathLike, chunk_bytes: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of_path(path: str | os.PathLike) -> str:
    """Hash a file, or a folder as the sorted list of (relative name, file hash)."""
    path = Path(path)
    if path.is_file():
        return sha256_of_file(path)
    digest = hashlib.sha256()
    for child in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(child.relative_to(path)).encode("utf-8"))
        digest.update(sha256_of_file(child).encode("ascii"))
    return digest.hexdigest()


def current_umask() -> int:
    """The process's file-creation mask (read by setting it and putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(final_path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``final_path``; rename it into place only on success.

    If the body raises, the temporary file is removed and ``final_path`` is left as it was,
    so an interrupted write never leaves a file that looks finished. ``suffix`` keeps a file
    extension that a writer may insist on (gensim and Keras look at it).
    """
    final_path = Path(final_path)
    if final_path.is_dir():
        raise IsADirectoryError(f"{final_path} is a folder; give the path of the file to write")
    final_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{final_path.name}.", suffix=f".partial{suffix}", dir=final_path.parent
    )
    os.close(handle)
    temporary_path = Path(temporary)
    os.chmod(temporary_path, 0o666 & ~current_umask())  # mkstemp makes 0600; outputs follow the umask
    try:
        yield temporary_path
        os.replace(temporary_path, final_path)
    except OSError as error:
        if error.errno == errno.ENOSPC:  # say which file did not fit (the library's error may not)
            raise OSError(errno.ENOSPC, f"no space left on the device to write {final_path}; "
                          "free some and run the command again") from None
        raise
    finally:
        if temporary_path.exists():
            temporary_path.unlink()


def remove_partial_files(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that :func:`atomic_output` left in ``folder`` when its process
    was killed (``.<name>.<random>.partial<suffix>``); returns their paths. Call it only while
    holding the folder's lock, so no live writer's file is taken."""
    removed = [path for path in Path(folder).glob(".*.partial*") if path.is_file()]
    for path in removed:
        path.unlink()
    return removed


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` through :func:`atomic_output`; a file that already
    holds exactly ``text`` is left alone (nothing is written: a command with nothing to do works
    on a full disk)."""
    path = Path(path)
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if path.is_file() and path.stat().st_size == len(text.encode("utf-8")) and \
                path.read_text(encoding="utf-8") == text:
            return
    with atomic_output(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def run_folder_lock(lock_path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock_path`` (in a run folder) for the duration of the block.

    Raises :class:`RunFolderLocked` at once if another process holds it. The lock is an
    ``fcntl.flock`` on an open file, so it is released even if the holder is killed.
    """
    lock_path = Path(lock_path)
    run_dir = lock_path.parent
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunFolderLocked(
                f"run folder {run_dir} is in use by {holder}; wait for it to finish "
                f"or use another --run-dir"
            ) from None
        with contextlib.suppress(OSError):  # who holds it, for the message above; not needed (a full disk)
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def user_path(text: str) -> Path:
    """A path typed by the user, with ``~`` expanded (the shell leaves ``--run-dir=~/x`` and quoted
    ones as they are)::

        >>> user_path("~/novel.txt") == Path.home() / "novel.txt"
        True
    """
    return Path(text).expanduser()
