"""The ``memory://`` storage backend."""

from __future__ import annotations

from cpnetwork.hookspecs import hookimpl
from cpnetwork.storage import CORE_KINDS, MemoryStorage, RecordKind, Storage


@hookimpl(trylast=True)
def open_storage(url: str) -> Storage | None:
    if url == "memory://" or url.startswith("memory:"):
        return MemoryStorage(url)
    return None


@hookimpl(tryfirst=True)
def register_record_kinds() -> list[RecordKind]:
    return list(CORE_KINDS)
