"""Replacing a file so that readers see the old version or the new, never part of one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def replace_file(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path.

    The bytes go to a temporary file in the same directory (a rename is atomic only
    within one file system), reach the disk (fsync), and the file is renamed over
    ``path``; then the directory is synced so the rename survives a crash too.  A file
    already at ``path`` keeps its permissions; a new one gets the umask's.  On failure
    the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 lets the umask decide, as for any new file (mkstemp makes 0600,
    # which a web server publishing the calendar could not read).
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)
    return target


def _sync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # Windows opens no directories; its renames are durable without it.
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # Some file systems cannot sync a directory; the data itself is synced.
    finally:
        os.close(descriptor)
