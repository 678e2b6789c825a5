"""``masked``: the one way a URL is shown, with its secrets hidden."""

from __future__ import annotations

import pytest

from cpnetwork.storage.sql_engine import display_url
from cpnetwork.storage.sql_url import masked


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ada:secret@host/db", "postgresql://ada:***@host/db"),
        ("postgresql://ada@host/db?password=secret", "postgresql://ada@host/db?password=***"),
        (
            "postgresql://ada:s3cr@t@host:5432/db?sslmode=require&PASSWORD=x&sslpassword=y",
            "postgresql://ada:***@host:5432/db?sslmode=require&PASSWORD=***&sslpassword=***",
        ),
        ("postgresql:///db?host=/run/pg&user=ada&password=pw", None),
        ("https://hooks.example.org/in?token=abc&channel=x", None),
        ("sqlite:////srv/network.db?mode=ro", "sqlite:////srv/network.db?mode=ro"),
        ("memory://", "memory://"),
        ("postgresql://ada@host/db", "postgresql://ada@host/db"),
    ],
)
def test_masked_hides_passwords_and_secret_parameters(url: str, shown: str | None) -> None:
    result = masked(url)
    if shown is not None:
        assert result == shown
    for secret in ("secret", "s3cr", "=pw", "token=abc"):
        assert secret not in result


def test_masked_hides_a_password_in_a_libpq_keyword_string() -> None:
    assert masked("host=db user=ada password=hunter2 dbname=n") == (
        "host=db user=ada password=*** dbname=n"
    )


def test_masked_works_inside_a_message() -> None:
    message = "storage 'postgresql://u:hunter2@h/db?password=hunter2': open failed"
    assert masked(message) == "storage 'postgresql://u:***@h/db?password=***': open failed"


def test_display_url_hides_both_forms() -> None:
    assert display_url("postgresql://u:pw1@h/db?password=pw2") == (
        "postgresql://u:***@h/db?password=***"
    )
