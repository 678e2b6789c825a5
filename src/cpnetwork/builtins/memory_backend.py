"""The ``memory://`` storage backend."""

from __future__ import annotations

from cpnetwork.hookspecs import hookimpl
from cpnetwork.storage import MemoryStorage, Storage


@hookimpl(trylast=True)
def open_storage(url: str, read_only: bool) -> Storage | None:
    if url == "memory://" or url.startswith("memory:"):
        return MemoryStorage(url, read_only=read_only)
    return None
