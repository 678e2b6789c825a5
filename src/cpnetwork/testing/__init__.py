"""Helpers for testing cpnetwork and code built on it (fixtures, factories, conformance)."""

from __future__ import annotations

from typing import Any

from cpnetwork.network import Network
from cpnetwork.storage import Storage


def snapshot(store: Network | Storage) -> dict[str, list[Any]]:
    """Every record in a store, by kind: compare two snapshots to prove nothing changed."""
    storage = store.storage if isinstance(store, Network) else store
    with storage.transaction() as tx:
        return {kind.name: tx.find(kind.cls) for kind in storage.iter_kinds()}


__all__ = ["snapshot"]
