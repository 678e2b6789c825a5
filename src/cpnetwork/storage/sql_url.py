"""Which URLs the SQL store serves, and URLs shown without their secrets.

Both are told without importing SQLAlchemy.

The plugin that opens stores asks this for every URL, including ``memory://``, so it
must stay free of heavy imports.
"""

from __future__ import annotations

import re

SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite"})
POSTGRES_DRIVERS = frozenset({"postgresql", "postgres", "postgresql+psycopg"})


def scheme_of(url: str) -> str:
    """``postgresql+psycopg://u@h/db`` → ``postgresql+psycopg``."""
    return url.partition(":")[0].lower()


def is_sql_url(url: str) -> bool:
    """Whether the SQL store serves this URL (a SQLite file or PostgreSQL)."""
    return scheme_of(url) in SQLITE_DRIVERS | POSTGRES_DRIVERS


#: Query parameters whose values are secrets, shown as ``***`` (compared in lower case,
#: ``-`` read as ``_``).
SECRET_PARAMETERS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "token",
        "access_token",
        "auth",
        "auth_token",
        "api_key",
        "apikey",
        "key",
        "sslpassword",
        "client_secret",
        "signature",
        "sig",
    }
)
#: What a hidden secret is shown as.
HIDDEN = "***"

_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:'\"]*):[^\s/'\"]*@")
#: ``name=value`` after ``?``, ``&``, ``;``, a space or the start: URL queries and
#: libpq keyword strings (``host=db password=...``) alike.
_PARAMETER = re.compile(
    r"(?P<head>(?:^|(?<=[?&;\s]))(?P<name>[A-Za-z0-9_.-]+)=)(?P<value>[^&;#\s'\"]*)"
)


def _secret_parameter(match: re.Match[str]) -> str:
    name = match["name"].lower().replace("-", "_")
    if name in SECRET_PARAMETERS and match["value"]:
        return f"{match['head']}{HIDDEN}"
    return match[0]


def masked(text: str) -> str:
    """``text`` with the secrets of every URL in it hidden: the one way a URL is shown.

    ``postgresql://ada:secret@host/db?password=secret&sslmode=require`` becomes
    ``postgresql://ada:***@host/db?password=***&sslmode=require``: the password of the
    user part and the value of every query parameter named like a secret
    (:data:`SECRET_PARAMETERS`) are replaced; everything else is kept so the URL still
    says where it points.  Works on a URL alone or on a message quoting URLs.
    """
    text = _USERINFO.sub(lambda m: f"{m['head']}:{HIDDEN}@", text)
    return _PARAMETER.sub(_secret_parameter, text)
