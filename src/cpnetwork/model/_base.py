"""What every stored record shares: an id."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """A random, URL-safe, sortable-enough record id."""
    return uuid.uuid4().hex
