"""Writing a file so that it is either complete or untouched: the one way files are written.

:func:`replacing` writes into a temporary file beside the target (a rename is atomic
only within one file system), flushes and fsyncs it, and renames it onto the target
only once everything was written; then it fsyncs the folder so the rename itself
survives a crash.  On any failure (a full disk, a file-size limit, an error while the
content is produced) the temporary file is removed and the previous file, if any, is
left exactly as it was; readers see the old file or the new one, never part of one.

A new file is owner-only (mode 0600: exports hold personal data) unless the caller
passes ``private=False`` (a calendar feed a web server publishes), when the umask
decides as for any new file.  A file that already exists keeps its permissions.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar, overload

#: The mode of a new file cpnetwork writes: readable and writable by its owner only.
FILE_MODE = 0o600

T = TypeVar("T")


@contextlib.contextmanager
def replacing(
    target: str | os.PathLike[str],
    *,
    binary: bool = False,
    encoding: str = "utf-8",
    private: bool = True,
) -> Iterator[IO[Any]]:
    """A stream (text, or bytes with ``binary``) whose content replaces ``target`` on success."""
    path = Path(target)
    folder = path.parent
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE if private else 0o666)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, path.stat().st_mode & 0o7777)  # an existing file keeps its mode
        stream = open(fd, "wb") if binary else open(fd, "w", encoding=encoding)  # noqa: SIM115
        with stream as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_folder(folder)


@overload
def replace_file(
    target: str | os.PathLike[str], content: bytes, *, private: bool = True
) -> Path: ...


@overload
def replace_file(
    target: str | os.PathLike[str],
    content: Callable[[IO[str]], T],
    *,
    private: bool = True,
    encoding: str = "utf-8",
) -> T: ...


def replace_file(
    target: str | os.PathLike[str],
    content: bytes | Callable[[IO[str]], Any],
    *,
    private: bool = True,
    encoding: str = "utf-8",
) -> Any:
    """Replace ``target`` with ``content`` as :func:`replacing` does.

    ``content`` is the bytes to write (returns the path), or a function writing text
    to the stream it is given (returns what the function returns).
    """
    if isinstance(content, bytes):
        with replacing(target, binary=True, private=private) as out:
            out.write(content)
        return Path(target)
    with replacing(target, encoding=encoding, private=private) as out:
        return content(out)


def sync_folder(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (a rename or a new file) to disk, where the system allows it."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:  # pragma: no cover - Windows opens no folders; its renames are durable
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
