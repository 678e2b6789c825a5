"""Every hook cpnetwork calls: the plugin contract, one docstring per hook.

Families: ``register_*`` hooks return lists that are all collected; ``open_*`` and
``order_*`` hooks take the first answer that is not None; ``check_*`` hooks return
reasons to refuse; ``record_event`` / ``handle_event`` consume domain events.
Hooks are always called with keyword arguments, so an implementation may accept only
the arguments it needs.  Built-in behaviour implements these same hooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from cpnetwork.events import Event
    from cpnetwork.fields import CustomField
    from cpnetwork.importers import Importer
    from cpnetwork.model import Enrollment, Jurisdiction, Member, Organization, Program
    from cpnetwork.storage import RecordKind, Storage, Transaction

hookspec = pluggy.HookspecMarker("cpnetwork")
hookimpl = pluggy.HookimplMarker("cpnetwork")


@hookspec(firstresult=True)
def open_storage(url: str) -> Storage | None:
    """Called when a network is opened on ``url``; return a Storage for its scheme, else None."""


@hookspec
def register_record_kinds() -> Sequence[RecordKind]:
    """Called when a store is opened; return the kinds of record the plugin stores."""


@hookspec
def register_jurisdictions() -> Sequence[Jurisdiction]:
    """Called when a network opens; return the jurisdictions (state, regions, counties) known."""


@hookspec
def register_member_fields() -> Sequence[CustomField]:
    """Called when a network opens; return custom member fields to declare and validate."""


@hookspec
def check_eligibility(
    program: Program, member: Member, organizations: Sequence[Organization], region: str | None
) -> Sequence[str]:
    """Called before a member enters a program; return reasons to refuse (empty: eligible)."""


@hookspec(firstresult=True)
def order_waitlist(program: Program, waitlisted: Sequence[Enrollment]) -> Sequence[Enrollment]:
    """Called when a seat frees; return the waitlisted enrollments in the order to offer seats."""


@hookspec
def record_event(event: Event, transaction: Transaction, network: Any) -> None:
    """Called inside the change's transaction for each domain event; writes commit with it."""


@hookspec
def handle_event(event: Event, network: Any) -> None:
    """Called after the change commits, once per domain event, to observe it; returns nothing."""


@hookspec
def register_importers() -> Sequence[Importer]:
    """Called when a network opens; return Importer instances, each for one ``kind`` of file."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Called when the ``cpnetwork`` command starts; add click commands or groups to ``cli``."""
