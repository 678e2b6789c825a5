"""The ``sqlite://`` and ``postgresql://`` storage backend.

SQLAlchemy is imported only when such a URL is opened, so ``import cpnetwork`` and
networks on other backends stay light.
"""

from __future__ import annotations

from cpnetwork.hookspecs import hookimpl
from cpnetwork.storage import Storage
from cpnetwork.storage.sql_url import is_sql_url


@hookimpl(trylast=True)
def open_storage(url: str, read_only: bool) -> Storage | None:
    if not is_sql_url(url):
        return None
    from cpnetwork.storage.sql import SQLStorage

    return SQLStorage(url, read_only=read_only)
