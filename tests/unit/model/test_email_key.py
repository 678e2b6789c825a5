"""``email_key``'s shortcut for plain addresses gives what email-validator's way gives."""

from __future__ import annotations

import string

from hypothesis import example, given
from hypothesis import strategies as st

from cpnetwork.model._validators import email_key, normalize_email

LOCAL = string.ascii_letters + string.digits + "._%+-"
DOMAIN = string.ascii_letters + string.digits + ".-"


def _by_validator(value: str) -> str:
    try:
        return normalize_email(value)
    except ValueError:
        return value.strip().lower()


@given(
    local=st.text(LOCAL, min_size=1, max_size=20),
    domain=st.text(DOMAIN, min_size=1, max_size=20),
    padding=st.sampled_from(["", " ", "\t"]),
)
@example(local="Ada.Lovelace", domain="Example.ORG", padding=" ")
@example(local="a..b", domain="example.org", padding="")
@example(local="x", domain="localhost", padding="")
@example(local="ada", domain="xn--bcher-kva.example", padding="")
@example(local="ada", domain="mail.XN--bcher-kva.example", padding="")
def test_a_plain_address_keys_as_email_validator_would(
    local: str, domain: str, padding: str
) -> None:
    address = f"{padding}{local}@{domain}{padding}"
    assert email_key(address) == _by_validator(address)


def test_other_addresses_go_through_email_validator() -> None:
    for address in (
        '"ada"@example.org',
        "Zoë@Example.org",
        "not an address",
        "a@b@c",
        "ada@xn--bcher-kva.example",
    ):
        assert email_key(address) == _by_validator(address)
    assert email_key("Zoë@Example.org") == "zoë@example.org"
