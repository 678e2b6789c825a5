"""What a plan names, found in the network: organizations by name or code, members by email.

An organization is named by its exact name (``"LACOE"``), by ``SCHEME:CODE``
(``"cds:19101990000000"``) or by a code alone (``"19101990000000"``), looked up in
every identifier scheme.  A name or code two organizations share is refused: the plan
must say which.  Members are named by email.  What is not found is a ``ValueError``
with the reason; the plan adds where in the file it was named.
"""

from __future__ import annotations

from collections.abc import Iterable

from cpnetwork.model import Member, Organization
from cpnetwork.model._validators import email_key
from cpnetwork.services.naming import organization_label
from cpnetwork.storage import Transaction


class Names:
    """Looks up, in one transaction, what a plan names (each name once)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._organizations: dict[str, str] = {}
        self._by_code: dict[str, list[Organization]] | None = None

    def organization_ids(self, names: Iterable[str], what: str) -> tuple[str, ...]:
        """The ids of the organizations named, in order (``what``: hosts, partners)."""
        return tuple(self.organization_id(name, what) for name in names)

    def organization_id(self, name: str, what: str) -> str:
        if name not in self._organizations:
            self._organizations[name] = self._find(name, what).id
        return self._organizations[name]

    def _find(self, name: str, what: str) -> Organization:
        found: list[Organization] = list(self._tx.find(Organization, {"name": name}))
        if not found:
            scheme, colon, code = name.partition(":")
            if colon and scheme.strip() and code.strip():
                found = list(
                    self._tx.find(Organization, {f"identifiers.{scheme.strip()}": code.strip()})
                )
            else:
                found = self._codes().get(name, [])
        if not found:
            raise ValueError(f"{what}: no organization is named or coded {name!r}")
        if len(found) > 1:
            labels = "; ".join(sorted(organization_label(o) for o in found))
            raise ValueError(
                f"{what}: {len(found)} organizations are named or coded {name!r} ({labels}); "
                "name one by SCHEME:CODE"
            )
        return found[0]

    def _codes(self) -> dict[str, list[Organization]]:
        """Organizations by each code they have (read once, when a bare code is named)."""
        if self._by_code is None:
            self._by_code = {}
            for organization in self._tx.find(Organization):
                for code in set(organization.identifiers.values()):
                    self._by_code.setdefault(code, []).append(organization)
        return self._by_code

    def member_ids(self, emails: Iterable[str], what: str) -> tuple[str, ...]:
        """The ids of the members with these emails, in order; all must exist."""
        given = list(emails)
        keys = [email_key(email) for email in given]
        if not keys:
            return ()
        found = {m.email: m.id for m in self._tx.find(Member, {"email": sorted(set(keys))})}
        missing = [email for email, key in zip(given, keys, strict=True) if key not in found]
        if missing:
            raise ValueError(f"{what}: no member has the email {', '.join(map(repr, missing))}")
        return tuple(found[key] for key in keys)
