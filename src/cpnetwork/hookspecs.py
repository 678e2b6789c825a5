"""Every hook cpnetwork calls: the plugin contract, one docstring per hook.

Families: ``register_*`` hooks return lists that are all collected; ``open_*``,
``order_*`` and ``message_template`` take the first answer that is not None;
``check_*`` hooks return reasons to refuse; ``notification_recipients`` returns
addresses to copy; ``record_event`` / ``handle_event`` consume domain events;
``startup`` runs once a network is ready.
Hooks are always called with keyword arguments through pluggy, so an implementation may
accept only the arguments it needs, and ``@hookimpl(wrapper=True)`` wraps the others.
Built-in behaviour implements these same hooks.

Hooks given ``network`` (the :class:`~cpnetwork.network.Network` facade) may call it,
also while a change is in progress: calls made inside a change join its transaction,
so reads see the change so far and writes commit or roll back with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from cpnetwork.events import Event
    from cpnetwork.fields import CustomField
    from cpnetwork.importers import Importer
    from cpnetwork.model import (
        Actor,
        Enrollment,
        Jurisdiction,
        Member,
        Organization,
        Program,
    )
    from cpnetwork.network import Network
    from cpnetwork.notifications import Channel, Notice
    from cpnetwork.reports import Filters, ReportDefinition, Section
    from cpnetwork.storage import RecordKind, Storage, Transaction

hookspec = pluggy.HookspecMarker("cpnetwork")
hookimpl = pluggy.HookimplMarker("cpnetwork")


@hookspec(firstresult=True)
def open_storage(url: str, read_only: bool) -> Storage | None:
    """Called when a network is opened on ``url``; return a Storage for its scheme, else None.

    :param url: the URL given to ``Network.open``.
    :param read_only: open it so that nothing is ever written, not even on opening:
        every transaction refuses writes and the store's ``read_only`` is true
        (``Network.open`` refuses a store that ignores it).
    """


@hookspec
def register_record_kinds() -> Sequence[RecordKind]:
    """Called when a store is opened; return the kinds of record the plugin stores.

    The core kinds are registered by the network itself, before these.
    """


@hookspec
def register_jurisdictions() -> Sequence[Jurisdiction]:
    """Called when a network opens; return the jurisdictions (state, regions, counties) known."""


@hookspec
def register_member_fields() -> Sequence[CustomField]:
    """Called when a network opens; return custom member fields to declare and validate."""


@hookspec
def check_eligibility(
    program: Program,
    member: Member,
    organizations: Sequence[Organization],
    region: str | None,
    network: Network,
) -> Sequence[str]:
    """Called before a member enters a program; return reasons to refuse (empty: eligible).

    :param program: the program the member would enter.
    :param member: the member asking, inviting or being enrolled.
    :param organizations: the member's organizations through affiliations active today.
    :param region: the region code of the member's county, or None.
    :param network: the network, to read anything else (e.g. past enrollments); calls
        join the change in progress.
    """


@hookspec(firstresult=True)
def order_waitlist(
    program: Program, waitlisted: Sequence[Enrollment], network: Network
) -> Sequence[Enrollment]:
    """Called when a seat frees; return the waitlisted enrollments in the order to offer seats.

    :param program: the program whose seat freed.
    :param waitlisted: its waitlisted enrollments, first come first.
    :param network: the network, to read anything else; calls join the change in progress.
    """


@hookspec
def record_event(event: Event, transaction: Transaction, network: Network) -> None:
    """Called inside the change's transaction for each domain event; writes commit with it.

    :param event: the domain event.
    :param transaction: the change's transaction; write the plugin's records to it.
    :param network: the network; calls join the change in progress.
    """


@hookspec
def handle_event(event: Event, network: Network) -> None:
    """Called after the change commits, once per domain event, to observe it; returns nothing.

    :param event: the committed domain event.
    :param network: the network; changes made through it are changes of their own.
    """


@hookspec
def register_importers() -> Sequence[Importer]:
    """Called when a network opens; return Importer instances, each for one ``kind`` of file."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Called when the ``cpnetwork`` command starts; add click commands or groups to ``cli``.

    :param cli: a click group whose commands join the ``cpnetwork`` ones; a name already
        taken is refused, naming the plugin.
    """


@hookspec
def register_channels() -> Sequence[Channel]:
    """Called when notifications are queued or dispatched; return the channels the plugin adds.

    Each :class:`~cpnetwork.notifications.Channel` has a unique ``name``; the built-in
    ``email``, ``webhook`` and ``log`` channels are registered through this hook too.
    """


@hookspec
def notification_recipients(notice: Notice, network: Network) -> Sequence[str]:
    """Called for each notice a change raises, inside its transaction; return extra addresses.

    The member the notice is about gets it already (unless they opted out of its
    category); the addresses returned here get a copy regardless, e.g. a county
    coordinator on acceptances in their county.

    :param notice: what is being said, to whom and about what.
    :param network: the network; calls join the change in progress.
    """


@hookspec(firstresult=True)
def message_template(topic: str, part: str, program: Program | None) -> str | None:
    """Called when a message is rendered; return Jinja2 source to use instead of the default.

    :param topic: what the message says, e.g. ``"enrollment.accepted"`` or
        ``"reminder.session"`` (the names of the default templates).
    :param part: ``"subject"``, ``"text"`` or ``"html"`` (HTML is autoescaped).
    :param program: the program the message is about, or None, so a plugin can word
        one program's messages differently.
    """


@hookspec
def erase_member(member: Member, transaction: Transaction, network: Network) -> None:
    """Called inside the change erasing a member, before the core erases; returns nothing.

    Remove or anonymize what the plugin keeps about the member (the member still has
    their email and names here, to find records by).  Writes commit with the erasure.

    :param member: the member as they were before erasure.
    :param transaction: the erasure's transaction.
    :param network: the network; calls join the change in progress.
    """


@hookspec
def export_member(
    member: Member, transaction: Transaction, network: Network
) -> Mapping[str, Any] | None:
    """Called when everything held about a member is exported; return the plugin's part.

    The answer (JSON-ready data) appears under the plugin's name in the export.

    :param member: the member whose data is exported.
    :param transaction: a read-only transaction to read the plugin's records.
    :param network: the network.
    """


@hookspec
def check_access(actor: Actor, action: str, record: Any, network: Network) -> Sequence[str]:
    """Called for each change a scoped network makes, once the built-in rules allow it;
    return reasons to refuse (empty: allowed).

    :param actor: who is acting (:class:`~cpnetwork.model.Actor`).
    :param action: the domain event's type name (``"EnrollmentChanged"``...).
    :param record: the domain event describing the change.
    :param network: the network; calls join the change in progress.
    """


@hookspec
def startup(network: Network) -> None:
    """Called once at the end of ``Network.open``, when the network is ready; returns nothing.

    :param network: the opened network.
    """


@hookspec
def register_reports() -> Sequence[ReportDefinition]:
    """Called the first time a network's reports are listed or run; return ReportDefinitions.

    A name another plugin registered is refused, naming the plugin.
    """


@hookspec
def report_sections(report_name: str, filters: Filters, network: Network) -> Sequence[Section]:
    """Called each time a report runs, after its own sections; return sections to add.

    :param report_name: the report being run (e.g. ``"reach"``); answer ``[]`` for others.
    :param filters: the checked filters it runs with; ``filters.resolve(network)`` gives
        the ``where`` of each kind of record they select.
    :param network: the network, to count in its store (``network.reports.reading()``).
    """
