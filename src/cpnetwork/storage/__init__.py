"""Storage: the SPI, the core record kinds and the built-in memory backend."""

from cpnetwork.storage.base import (
    Aggregate,
    Each,
    GroupBy,
    Matching,
    Month,
    RecordKind,
    Related,
    Storage,
    Transaction,
    Where,
)
from cpnetwork.storage.kinds import CORE_KINDS
from cpnetwork.storage.memory import MemoryStorage

__all__ = [
    "CORE_KINDS",
    "Aggregate",
    "Each",
    "GroupBy",
    "Matching",
    "MemoryStorage",
    "Month",
    "RecordKind",
    "Related",
    "Storage",
    "Transaction",
    "Where",
]
