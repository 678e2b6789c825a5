"""The facade: ``Network.open(url)`` gives one object covering the whole lifecycle."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import IO, Any, TypeVar

from attrs import evolve

from cpnetwork.errors import CpnetworkError, PluginError, ValidationError
from cpnetwork.events import NetworkProfileUpdated, changed_fields
from cpnetwork.fields import CustomField
from cpnetwork.files import replace_file
from cpnetwork.importers import Importer, ImportFileError, ImportReport, RowError
from cpnetwork.importers.base import shorten
from cpnetwork.importers.registry import registered_importers
from cpnetwork.model import Actor, Jurisdiction, NetworkProfile
from cpnetwork.plans import Plan, PlanResult, apply_plan, load_plan
from cpnetwork.plugins import PluginHost, get_plugin_manager
from cpnetwork.reports.service import ReportService
from cpnetwork.scoped import ScopedNetwork
from cpnetwork.serialization import structure, unstructure
from cpnetwork.services.attendance import AttendanceService
from cpnetwork.services.context import Clock, Context, Observer, utc_now
from cpnetwork.services.enrollment import EnrollmentService
from cpnetwork.services.history import HistoryService
from cpnetwork.services.integrity import check_network
from cpnetwork.services.notifications import NotificationService
from cpnetwork.services.people import MemberService, OrganizationService
from cpnetwork.services.privacy import apply_retention
from cpnetwork.services.programs import ProgramService
from cpnetwork.services.resources import ResourceService
from cpnetwork.services.sessions import SessionService
from cpnetwork.services.surveys import SurveyService
from cpnetwork.services.teams import TeamService
from cpnetwork.storage import CORE_KINDS, RecordKind, Storage
from cpnetwork.storage.base import Transaction
from cpnetwork.storage.sql_url import masked

#: Where a network lives when no URL is given: an SQLite file in the working directory.
DEFAULT_URL = "sqlite:///cpnetwork.db"

#: Records ``export`` reads from the store at a time.
EXPORT_CHUNK = 1_000

T = TypeVar("T")

#: ``progress(step, done, total)``: called as a long call advances, for progress bars.
Progress = Callable[[str, int, int], None]

#: ``keep(record)``: whether an export holds the record.
Keep = Callable[[Any], bool]


class Network:
    """A network of science-education leaders, backed by one store.

    Open one with :meth:`open`; work through its services::

        net = Network.open("memory://", name="Science Leaders")
        ada = net.members.add(email="ada@example.org", given_name="Ada")
    """

    def __init__(self, context: Context) -> None:
        self._context = context
        self.members = MemberService(context)
        self.organizations = OrganizationService(context)
        self.programs = ProgramService(context)
        self.enrollment = EnrollmentService(context)
        self.sessions = SessionService(context)
        self.attendance = AttendanceService(context)
        self.teams = TeamService(context)
        self.resources = ResourceService(context)
        self.surveys = SurveyService(context)
        self.history = HistoryService(context)
        self.notifications = NotificationService(context)
        self.reports = ReportService(context)

    @classmethod
    def open(
        cls,
        url: str = DEFAULT_URL,
        *,
        name: str | None = None,
        timezone: str | None = None,
        plugins: Iterable[object] = (),
        load_entrypoints: bool = True,
        block_plugins: Iterable[str] = (),
        clock: Clock = utc_now,
        read_only: bool = False,
    ) -> Network:
        """Open (creating if new) the network stored at ``url``.

        ``name`` and ``timezone`` set up a new network and are checked against an
        existing one's profile only when given.  With ``read_only`` nothing is ever
        written, not even on opening (a database without a profile is shown with a
        default one): every change is refused with a StorageError.  Once the network
        is ready, each
        plugin's ``startup`` hook is called with it.
        """
        host = get_plugin_manager(
            load_entrypoints=load_entrypoints, block=block_plugins, plugins=plugins
        )
        storage = _open_storage(host, url, read_only=read_only)
        try:
            # The core's kinds first, whatever plugins are blocked; then the plugins'.
            kinds = host.collect("register_record_kinds", RecordKind)
            storage.register_kinds([*CORE_KINDS, *kinds])
            jurisdictions = host.collect("register_jurisdictions", Jurisdiction)
            fields = _member_fields(host)
            profile = _load_profile(storage, name=name, timezone=timezone)
        except BaseException:
            storage.close()
            raise
        context = Context(
            storage=storage,
            plugins=host,
            clock=clock,
            profile=profile,
            jurisdictions=jurisdictions,
            member_fields=fields,
        )
        network = cls(context)
        context.network = network
        try:
            host.call_all("startup", network=network)
        except BaseException:
            network.close()
            raise
        return network

    # -- the network itself -----------------------------------------------------
    @property
    def profile(self) -> NetworkProfile:
        return self._context.profile

    @property
    def storage(self) -> Storage:
        return self._context.storage

    @property
    def plugins(self) -> PluginHost:
        return self._context.plugins

    @property
    def jurisdictions(self) -> list[Jurisdiction]:
        return list(self._context.jurisdictions)

    @property
    def member_fields(self) -> dict[str, CustomField]:
        return dict(self._context.member_fields)

    def update_profile(self, **changes: Any) -> NetworkProfile:
        """Change the network's name, time zone, program-year start or priorities."""
        with self._context.unit_of_work() as uow:
            before = uow.require(NetworkProfile, "network")
            profile = evolve(before, **changes)
            uow.tx.update(profile)
            uow.emit(NetworkProfileUpdated(at=uow.now, changed=changed_fields(before, profile)))
        self._context.profile = profile
        return profile

    def acting_as(self, actor: Actor | str) -> ScopedNetwork:
        """The network as ``actor`` sees it: reads filtered, changes judged by scope.

        ``actor`` is an :class:`~cpnetwork.model.Actor` or its ``--as`` text
        (``"county:10"``, ``"region:CODE"``, ``"facilitator:ID"``, ``"member:ID"``,
        ``"admin"``); see :mod:`cpnetwork.scoped`.
        """
        return ScopedNetwork(self, actor if isinstance(actor, Actor) else Actor.parse(actor))

    def apply_retention(self) -> int:
        """Clear the personal details past program years are no longer kept for.

        What is cleared, and after how many years, is the profile's ``retention``
        (:class:`~cpnetwork.model.RetentionSettings`); counts are never touched.
        ``tick`` runs this.  Returns how many records changed.
        """
        with self._context.unit_of_work() as uow:
            return apply_retention(uow)

    @property
    def importers(self) -> dict[str, Importer]:
        """Importers by kind, from the ``register_importers`` hook."""
        return {
            kind: importer for kind, (_, importer) in registered_importers(self.plugins).items()
        }

    def import_file(
        self, kind: str, path: str | Path, *, dry_run: bool = False, **options: str
    ) -> ImportReport:
        """Import a file with the importer registered for ``kind``; all rows or none."""
        importers = self.importers
        if kind not in importers:
            known = ", ".join(sorted(importers)) or "none installed"
            raise ValidationError("importer", kind, f"unknown import kind (known: {known})")
        try:
            return importers[kind].run(self, Path(path), dry_run=dry_run, options=options)
        except (CpnetworkError, OSError, MemoryError):
            raise
        except Exception as exc:
            # An importer's own surprise (a plugin's too): a typed error, nothing written
            # (importers write in one unit of work, rolled back by the exception).
            reason = f"unexpected {type(exc).__name__} in the {kind} importer: {exc}"
            error = RowError(row=None, column=None, reason=shorten(reason))
            raise ImportFileError(str(path), [error]) from exc

    def export_data(
        self, *, progress: Progress | None = None, keep: Keep | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Every record of the network as JSON-ready dicts, by kind (see ``import_data``).

        Holds the whole network in memory: for big networks write it with :meth:`export`.
        ``progress(kind, done, total)`` is called after each kind of record; records
        for which ``keep(record)`` is false are left out (a scoped network's export).
        """
        with (
            self._context.reading() as tx,
            closing(self._exported(tx, progress, EXPORT_CHUNK, keep)) as kinds,
        ):
            return {kind.name: list(rows) for kind, rows in kinds}

    def export(
        self,
        target: str | Path | IO[str],
        *,
        progress: Progress | None = None,
        chunk_size: int = EXPORT_CHUNK,
        keep: Keep | None = None,
    ) -> dict[str, int]:
        """Write the document :meth:`export_data` gives, as JSON, record by record.

        ``target`` is a text stream or a path; a file at the path is replaced only once
        the export is complete.  Records are read ``chunk_size`` at a time
        (``Transaction.scan``), so memory stays flat however big the network.  The
        text is what ``json.dumps(export_data(), indent=2, ensure_ascii=False)`` gives,
        plus a final newline.  Returns the records written by kind.  Records for which
        ``keep(record)`` is false are left out.
        """
        if isinstance(target, str | Path):
            return replace_file(
                target,
                lambda out: self.export(out, progress=progress, chunk_size=chunk_size, keep=keep),
            )
        counts: dict[str, int] = {}
        with (
            self._context.reading() as tx,
            closing(self._exported(tx, progress, chunk_size, keep)) as kinds,
        ):
            target.write("{")
            for kind, rows in kinds:
                opening = "\n" if not counts else ",\n"
                target.write(f"{opening}  {json.dumps(kind.name, ensure_ascii=False)}: [")
                written = 0
                for row in rows:
                    text = json.dumps(row, indent=2, ensure_ascii=False).replace("\n", "\n    ")
                    target.write(f"{',' if written else ''}\n    {text}")
                    written += 1
                target.write("\n  ]" if written else "]")
                counts[kind.name] = written
            target.write("\n}\n" if counts else "}\n")
        return counts

    def _exported(
        self,
        tx: Transaction,
        progress: Progress | None,
        chunk_size: int,
        keep: Keep | None = None,
    ) -> Generator[tuple[RecordKind, Iterator[dict[str, Any]]]]:
        """Each kind with its records as JSON-ready dicts, read as they are taken.

        ``progress`` is called once a kind's records have all been taken.  Closing
        the generator (as a failed export does) closes the scan it is in, so no
        cursor outlives the transaction.
        """
        kinds = list(self.storage.iter_kinds())
        for done, kind in enumerate(kinds, start=1):
            scan: Iterator[Any] = tx.scan(kind.cls, chunk_size=chunk_size)
            records = scan if keep is None else filter(keep, scan)
            try:
                yield kind, (unstructure(record) for record in records)
            finally:
                close = getattr(scan, "close", None)
                if close is not None:
                    close()
            if progress is not None:
                progress(kind.name, done, len(kinds))

    def import_data(
        self,
        data: Mapping[str, Sequence[Mapping[str, Any]]]
        | Iterable[tuple[str, Iterable[Mapping[str, Any]]]],
        *,
        progress: Progress | None = None,
    ) -> int:
        """Load what :meth:`export_data` produced into this (empty) network; all or nothing.

        ``data`` is the mapping :meth:`export_data` gives, checked whole before anything
        is written, or ``(kind, records)`` pairs read as they come, such as
        :func:`cpnetwork.export_json.read_export` gives for a file :meth:`export` wrote:
        each kind's records are then streamed into the store, and an unknown kind or a
        bad record fails the call when it is reached, writing nothing.
        The exported network profile replaces this one's.  Once every record is written
        the network is checked as the services would keep it (every reference names a
        record it holds, no program over its capacity or a quota; see
        :mod:`cpnetwork.services.integrity`): a typed error naming the record refuses
        the whole load.  Returns the records written.
        ``progress(kind, done, total)`` is called after each kind is checked and written.
        """
        kinds = {kind.name: kind for kind in self.storage.iter_kinds()}
        if not isinstance(data, Mapping):
            return self._import_sections(kinds, data, progress)
        unknown = sorted(set(data) - set(kinds))
        if unknown:
            raise ValidationError("export", None, f"unknown kinds of record {unknown}")
        batches: list[tuple[RecordKind, list[Any]]] = [
            (kind, [structure(dict(row), kind.cls) for row in data.get(name, ())])
            for name, kind in kinds.items()
        ]
        written = 0
        profile: NetworkProfile | None = None
        with self._context.unit_of_work() as uow:
            for done, (kind, records) in enumerate(batches, start=1):
                profile = self._write_imported(uow.tx, kind, records) or profile
                written += len(records)
                if progress is not None:
                    progress(kind.name, done, len(batches))
            check_network(uow)
        if profile is not None:  # once committed
            self._context.profile = profile
        return written

    def _import_sections(
        self,
        kinds: Mapping[str, RecordKind],
        sections: Iterable[tuple[str, Iterable[Mapping[str, Any]]]],
        progress: Progress | None,
    ) -> int:
        written = 0

        def structured(kind: RecordKind, rows: Iterable[Mapping[str, Any]]) -> Iterator[Any]:
            nonlocal written
            for row in rows:
                record: Any = structure(dict(row), kind.cls)
                written += 1
                yield record

        profile: NetworkProfile | None = None
        with self._context.unit_of_work() as uow:
            for done, (name, rows) in enumerate(sections, start=1):
                kind = kinds.get(name)
                if kind is None:
                    raise ValidationError("export", None, f"unknown kinds of record {[name]}")
                profile = self._write_imported(uow.tx, kind, structured(kind, rows)) or profile
                if progress is not None:
                    progress(kind.name, min(done, len(kinds)), len(kinds))
            check_network(uow)
        if profile is not None:  # once committed
            self._context.profile = profile
        return written

    @staticmethod
    def _write_imported(
        tx: Transaction, kind: RecordKind, records: Iterable[Any]
    ) -> NetworkProfile | None:
        """Write one kind's records; the profile written, if the kind is the profile."""
        if kind.cls is not NetworkProfile:
            tx.insert_many(records)
            return None
        written: NetworkProfile | None = None
        for written in records:
            tx.update(written)
        return written

    def apply_plan(self, plan: str | Path | Plan, *, dry_run: bool = False) -> PlanResult:
        """Bring the network in line with a program-year plan (a TOML file or a Plan).

        Idempotent: applying the same plan again changes nothing.  See
        :mod:`cpnetwork.plans`; times without an offset are on the network's clock.
        """
        if not isinstance(plan, Plan):
            plan = load_plan(
                plan,
                timezone=self.profile.timezone,
                year=self.programs.current_year(),
            )
        return apply_plan(self._context, self, plan, dry_run=dry_run)

    def count_records(self) -> int:
        """How many records the network holds besides its profile (0: new and empty)."""
        total = 0
        with self._context.reading() as tx:
            for kind in self.storage.iter_kinds():
                if kind.cls is not NetworkProfile:
                    total += tx.count(kind.cls).get((), 0)
        return total

    def subscribe(self, observer: Observer) -> None:
        """Call ``observer(event)`` after each committed change (in-process observers)."""
        self._context.observers.append(observer)

    def unsubscribe(self, observer: Observer) -> None:
        self._context.observers.remove(observer)

    def close(self) -> None:
        self._context.storage.close()

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Network {self.profile.name!r} at {self.storage.url}>"


def _open_storage(host: PluginHost, url: str, *, read_only: bool) -> Storage:
    answer = host.call_first("open_storage", url=url, read_only=read_only)
    if answer is None:
        blocked = host.blocked()
        because = f" (blocked plugins: {', '.join(blocked)})" if blocked else ""
        raise ValidationError(
            "storage", masked(url), f"no installed backend opens this URL{because}"
        )
    plugin, storage = answer
    if not isinstance(storage, Storage):
        raise PluginError(plugin, "open_storage", f"returned {storage!r}, not a Storage")
    if read_only and not storage.read_only:
        storage.close()
        raise PluginError(
            plugin, "open_storage", f"cannot open {storage.url} read-only (read_only ignored)"
        )
    return storage


def _member_fields(host: PluginHost) -> dict[str, CustomField]:
    fields: dict[str, CustomField] = {}
    for field in host.collect("register_member_fields", CustomField):
        if field.name in fields:
            raise ValidationError("CustomField", field.name, "declared by two plugins")
        fields[field.name] = field
    return fields


def _load_profile(storage: Storage, *, name: str | None, timezone: str | None) -> NetworkProfile:
    with storage.transaction(read_only=storage.read_only) as tx:
        profile = tx.get(NetworkProfile, "network")
        if profile is None:
            profile = NetworkProfile(
                name=name or "Network", timezone=timezone or "America/Los_Angeles"
            )
            if not storage.read_only:
                tx.insert(profile)
            return profile
    if timezone is not None and timezone != profile.timezone:
        raise ValidationError(
            "NetworkProfile",
            profile.id,
            f"stored time zone is {profile.timezone!r}, not {timezone!r}; "
            "use update_profile() to change it",
        )
    return profile


__all__ = ["DEFAULT_URL", "Network"]
