"""Writing a file so that it is either complete or untouched: the one way files are written.

:func:`replacing` writes into a temporary file beside the target, created owner-only
(mode 0600: exports hold personal data), flushes and fsyncs it, and renames it onto
the target only once everything was written; then it fsyncs the folder so the rename
itself survives a crash.  On any failure (a full disk, a file-size limit, an error
while the content is produced) the temporary file is removed and the previous file,
if any, is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

#: The mode of every file cpnetwork writes: readable and writable by its owner only.
FILE_MODE = 0o600

T = TypeVar("T")


@contextlib.contextmanager
def replacing(target: str | os.PathLike[str], *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text stream whose content replaces ``target`` when the block ends without error."""
    path = Path(target)
    folder = path.parent
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp's own mode, said out loud
        with open(fd, "w", encoding=encoding) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    sync_folder(folder)


def replace_file(
    target: str | os.PathLike[str], write: Callable[[IO[str]], T], *, encoding: str = "utf-8"
) -> T:
    """Call ``write(stream)`` and replace ``target`` with what it wrote (see :func:`replacing`)."""
    with replacing(target, encoding=encoding) as out:
        return write(out)


def sync_folder(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (a rename or a new file) to disk, where the system allows it."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:  # pragma: no cover - e.g. Windows, where folders cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that cannot sync a folder
        pass
    finally:
        os.close(fd)


def create_private(path: str | os.PathLike[str]) -> bool:
    """Create ``path`` as an empty owner-only file; False when it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def remove_database(path: str | os.PathLike[str]) -> None:
    """Remove an SQLite file with the journal, WAL and shared-memory files beside it."""
    path = Path(path)
    for suffix in ("", "-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


__all__ = [
    "FILE_MODE",
    "create_private",
    "remove_database",
    "replace_file",
    "replacing",
    "sync_folder",
]
