"""Every hook cpnetwork calls: the plugin contract, one docstring per hook.

Families: ``register_*`` hooks return lists that are all collected; ``open_*`` and
``order_*`` hooks take the first answer that is not None; ``check_*`` hooks return
reasons to refuse; ``record_event`` / ``handle_event`` consume domain events;
``startup`` runs once a network is ready.
Hooks are always called with keyword arguments through pluggy, so an implementation may
accept only the arguments it needs, and ``@hookimpl(wrapper=True)`` wraps the others.
Built-in behaviour implements these same hooks.

Hooks given ``network`` (the :class:`~cpnetwork.network.Network` facade) may call it,
also while a change is in progress: calls made inside a change join its transaction,
so reads see the change so far and writes commit or roll back with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from cpnetwork.events import Event
    from cpnetwork.fields import CustomField
    from cpnetwork.importers import Importer
    from cpnetwork.model import Enrollment, Jurisdiction, Member, Organization, Program
    from cpnetwork.network import Network
    from cpnetwork.reports import Filters, ReportDefinition, Section
    from cpnetwork.storage import RecordKind, Storage, Transaction

hookspec = pluggy.HookspecMarker("cpnetwork")
hookimpl = pluggy.HookimplMarker("cpnetwork")


@hookspec(firstresult=True)
def open_storage(url: str) -> Storage | None:
    """Called when a network is opened on ``url``; return a Storage for its scheme, else None.

    :param url: the URL given to ``Network.open``.
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
