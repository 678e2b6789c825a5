"""One hierarchy of errors, rooted in :class:`CpnetworkError`.

Every error carries structured attributes (the record's kind and id, the reason) and
builds its message from them, so callers can both show it and act on it.  Each leaf
also inherits the standard exception it refines, so ``except LookupError`` still works.
"""

from __future__ import annotations

from collections.abc import Sequence


class CpnetworkError(Exception):
    """Root of every error cpnetwork raises on purpose."""

    def __init__(self, kind: str, record_id: str | None, reason: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.reason = reason
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.kind} {self.record_id!r}" if self.record_id else self.kind
        return f"{where}: {self.reason}"


class ValidationError(CpnetworkError, ValueError):
    """A record or an argument is malformed; nothing was written."""

    def __init__(
        self, kind: str, record_id: str | None, reason: str, *, field: str | None = None
    ) -> None:
        self.field = field
        super().__init__(kind, record_id, reason)

    def _message(self) -> str:
        base = super()._message()
        return f"{base} (field {self.field!r})" if self.field else base


class BatchError(ValidationError):
    """Items of a batch were refused; nothing was written.

    ``problems`` pairs each refused item's reference (its position in the batch,
    counted from 1, or the number its caller gave it) with the error it raised.
    """

    def __init__(self, kind: str, problems: Sequence[tuple[int, CpnetworkError]]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(f"item {ref}: {error}" for ref, error in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(kind, None, f"{len(self.problems)} item(s) refused: {shown}{more}")


class NotFoundError(CpnetworkError, LookupError):
    """No record of this kind has this id (or key)."""

    def __init__(self, kind: str, record_id: str, reason: str = "not found") -> None:
        super().__init__(kind, record_id, reason)


class ConflictError(CpnetworkError):
    """The change contradicts the current state of the store."""


class DuplicateError(ConflictError):
    """A record with the same id or unique key already exists."""


class CapacityFullError(ConflictError):
    """Every seat of a program or session is taken."""


class QuotaReachedError(ConflictError):
    """A per-organization, county, region or role quota is already filled."""


class EnrollmentClosedError(ConflictError):
    """The program does not take this kind of enrollment now (before opening or past deadline)."""


class IllegalTransitionError(ConflictError):
    """The enrollment cannot move from its current status by this action."""

    def __init__(
        self, kind: str, record_id: str | None, current: str, action: str, reason: str = ""
    ) -> None:
        self.current = current
        self.action = action
        detail = f"cannot {action} from status {current!r}"
        super().__init__(kind, record_id, f"{detail}: {reason}" if reason else detail)


class NotEligibleError(CpnetworkError):
    """The member fails one or more eligibility rules of the program."""

    def __init__(self, kind: str, record_id: str | None, reasons: Sequence[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(kind, record_id, "not eligible: " + "; ".join(self.reasons))


class PluginError(CpnetworkError):
    """A plugin raised, or answered a hook with the wrong type."""

    def __init__(self, plugin: str, hook: str, reason: str) -> None:
        self.plugin = plugin
        self.hook = hook
        super().__init__("plugin", plugin, f"hook {hook}: {reason}")


class StorageError(CpnetworkError):
    """The storage backend failed; the transaction was rolled back."""


class SchemaVersionError(StorageError):
    """The database schema is older or newer than this version of the library."""


class DeliveryError(CpnetworkError):
    """A channel could not deliver a message; the dispatcher retries it later.

    ``permanent`` means trying again cannot help (the server refused the recipient):
    the message is marked dead at once.
    """

    def __init__(
        self, channel: str, message_id: str, reason: str, *, permanent: bool = False
    ) -> None:
        self.channel = channel
        self.permanent = permanent
        super().__init__(f"{channel} message", message_id, reason)


class AccessDeniedError(CpnetworkError, PermissionError):
    """The actor's scope does not reach this record; nothing was read or changed."""

    def __init__(self, actor: str, kind: str, record_id: str | None, reason: str) -> None:
        self.actor = actor
        super().__init__(kind, record_id, f"{reason} (acting as {actor})")
