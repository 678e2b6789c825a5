"""cpnetwork: run a statewide network of science-education leaders.

>>> from cpnetwork import Network
>>> net = Network.open("memory://", name="Science Leaders", load_entrypoints=False)
>>> net.members.add(email="Ada@Example.org").email
'ada@example.org'
"""

from cpnetwork.errors import (
    AccessDeniedError,
    CapacityFullError,
    ConflictError,
    CpnetworkError,
    DuplicateError,
    EnrollmentClosedError,
    IllegalTransitionError,
    NotEligibleError,
    NotFoundError,
    PluginError,
    QuotaReachedError,
    SchemaVersionError,
    StorageError,
    ValidationError,
)
from cpnetwork.hookspecs import hookimpl
from cpnetwork.network import Network

__version__ = "0.1.0"

__all__ = [
    "AccessDeniedError",
    "CapacityFullError",
    "ConflictError",
    "CpnetworkError",
    "DuplicateError",
    "EnrollmentClosedError",
    "IllegalTransitionError",
    "Network",
    "NotEligibleError",
    "NotFoundError",
    "PluginError",
    "QuotaReachedError",
    "SchemaVersionError",
    "StorageError",
    "ValidationError",
    "__version__",
    "hookimpl",
]
