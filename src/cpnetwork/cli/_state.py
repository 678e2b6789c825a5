"""What one run of the command knows: where the database is, which plugins load.

An embedding application or a test hands :class:`CliConfig` to click as ``obj``
(``cli.main(obj=CliConfig(...))`` or ``CliRunner().invoke(cli, args, obj=...)``); each
run turns it into a :class:`CliState` that opens the network on demand and closes it
when the command ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from attrs import evolve, field, frozen

from cpnetwork.cli._output import terminal_safe
from cpnetwork.errors import CpnetworkError, NotFoundError, ValidationError
from cpnetwork.files import remove_database
from cpnetwork.importers import ImportFileError
from cpnetwork.model import Actor, Member, Program
from cpnetwork.plugins import PluginHost, get_plugin_manager
from cpnetwork.storage.sql_url import masked

if TYPE_CHECKING:
    from cpnetwork.network import Network
    from cpnetwork.services.context import Clock

#: The database used when neither ``--db`` nor ``CPNETWORK_DB`` names one.
DEFAULT_DB = "cpnetwork.db"
DB_ENV = "CPNETWORK_DB"
#: ``--now``: the time a command runs at, when not the real time.
NOW_ENV = "CPNETWORK_NOW"

#: A URL scheme; one letter is a Windows drive (``C:\\...``), i.e. a plain path.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")

#: Row problems listed under an ImportFileError before "... and N more".
SHOWN_ROW_ERRORS = 50


def _objects(values: Iterable[object]) -> tuple[object, ...]:
    return tuple(values)


def _names(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@frozen(kw_only=True)
class CliConfig:
    """What the command loads: hand it to click as ``obj`` to embed or test the CLI."""

    #: Plugin objects registered by hand, before entry points.
    plugins: tuple[object, ...] = field(default=(), converter=_objects)
    load_entrypoints: bool = True
    block_plugins: tuple[str, ...] = field(default=(), converter=_names)
    #: The clock networks opened by the command run on (None: the real time).
    clock: Clock | None = None


@frozen
class FixedClock:
    """``--now``: a clock that always tells the same time."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


class CliError(click.ClickException):
    """An error shown as one ``Error: ...`` block on stderr; exit status 1.

    The message is shown with the secrets of any URL in it hidden and its control and
    bidi characters made inert, whatever data it quotes.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(terminal_safe(masked(message), keep_newlines=True))

    @classmethod
    def of(cls, error: CpnetworkError) -> CliError:
        """The message of a library error, with every row problem of a bad file."""
        if isinstance(error, ImportFileError):
            lines = [f"file {error.record_id!r}: {len(error.errors)} problem(s)"]
            lines += [f"  {problem}" for problem in error.errors[:SHOWN_ROW_ERRORS]]
            if len(error.errors) > SHOWN_ROW_ERRORS:
                lines.append(f"  ... and {len(error.errors) - SHOWN_ROW_ERRORS} more")
            return cls("\n".join(lines))
        return cls(str(error))


def database_url(value: str) -> str:
    """``--db`` as a URL: a plain path (no ``scheme:``) is an SQLite file."""
    if _SCHEME.match(value):
        return value
    return f"sqlite:///{Path(value).expanduser()}"


def sqlite_file(url: str) -> Path | None:
    """The file an ``sqlite:`` URL names, or None (another backend, or in memory)."""
    if not url.lower().startswith("sqlite"):
        return None
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc

    try:
        database = sa.make_url(url).database
    except sa_exc.ArgumentError:
        return None  # Network.open reports the bad URL
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


class CliState:
    """One run of the command: its options, its plugins and the network it opened."""

    def __init__(self, config: CliConfig) -> None:
        self.config = config
        self.db = DEFAULT_DB
        self.debug = False
        #: ``--as``: the actor whose scope every command works in (None: unscoped).
        self.acting_as: str | None = None
        #: The clock networks are opened on (``--now``, else the config's; None: real time).
        self.clock: Clock | None = config.clock
        self.host: PluginHost = get_plugin_manager(
            load_entrypoints=config.load_entrypoints,
            block=config.block_plugins,
            plugins=config.plugins,
        )
        #: Top-level commands added by plugins (``register_commands``), by name.
        self.plugin_commands: dict[str, click.Command] = {}
        #: Networks this run opened, and SQLite files it created (removed if it fails).
        self.opened: list[Network] = []
        self.created: list[Path] = []

    @property
    def url(self) -> str:
        return database_url(self.db)

    def missing_file(self, url: str | None = None) -> Path | None:
        """The SQLite file ``--db`` (or ``url``) names when it does not exist, else None."""
        path = sqlite_file(url or self.url)
        return path if path is not None and not path.exists() else None

    def require_database(self, url: str | None = None) -> None:
        """Refuse an SQLite file that does not exist, rather than create an empty one."""
        path = self.missing_file(url)
        if path is not None:
            raise CliError(
                f"no database at {path}: pass --db (or set {DB_ENV}) to use another, "
                "or create it with `cpnetwork db upgrade`, `cpnetwork import` or "
                "`cpnetwork import-json`"
            )

    def open(
        self, *, read_only: bool = False, create: bool = False, url: str | None = None
    ) -> Network:
        """Open the network at ``--db`` (or ``url``), closed when the command ends.

        Commands that only read pass ``read_only``: nothing is written, not even on
        opening, and every change is refused.  Only commands that write a new network
        pass ``create``; the others refuse a missing SQLite file (see
        :meth:`require_database`).  A SQLite file the command creates is removed again
        if the command fails.
        """
        from cpnetwork.network import Network

        url = url or self.url
        new_file = self.missing_file(url)
        if not create:
            self.require_database(url)
        options: dict[str, Any] = {}
        if self.clock is not None:
            options["clock"] = self.clock
        if new_file is not None:
            self.created.append(new_file)
        network = Network.open(
            url,
            plugins=self.config.plugins,
            load_entrypoints=self.config.load_entrypoints,
            block_plugins=self.config.block_plugins,
            read_only=read_only and not create,
            **options,
        )
        self.opened.append(network)
        click.get_current_context().call_on_close(network.close)
        if self.acting_as is None:
            return network
        # A scoped network offers the same services, filtered: the commands need not know.
        return cast("Network", network.acting_as(_actor(network, self.acting_as)))

    def created_file(self, path: Path) -> None:
        """Note an SQLite file the command is about to create, removed if it fails."""
        if not path.exists():
            self.created.append(path)

    def abandon(self) -> None:
        """After a failed command: close its networks and remove the files it created.

        A refused import into a new ``--db`` path leaves no empty database behind.
        """
        while self.opened:
            self.opened.pop().close()
        while self.created:
            remove_database(self.created.pop())


def _actor(network: Network, text: str) -> Actor:
    """``--as``: an actor, a facilitator or member named by email as well as by id."""
    actor = Actor.parse(text)
    if actor.member_id is not None and "@" in actor.member_id:
        member = network.members.find_by_email(actor.member_id)
        if member is None:
            raise NotFoundError("Member", actor.member_id, "no member has this email (--as)")
        actor = evolve(actor, member_id=member.id)
    return actor


def record_count(network: Network) -> int:
    """Records of the network besides its profile (0: a new, empty network)."""
    return network.count_records()


def find_program(network: Network, id_or_title: str) -> Program:
    """A program by id, else by exact title (refusing a title two programs share)."""
    try:
        return network.programs.get(id_or_title)
    except NotFoundError:
        pass
    found = network.programs.find({"title": id_or_title})
    if len(found) > 1:
        ids = ", ".join(p.id for p in found)
        raise ValidationError(
            "Program", id_or_title, f"{len(found)} programs have this title; use an id ({ids})"
        )
    if not found:
        raise NotFoundError("Program", id_or_title)
    return found[0]


def find_member(network: Network, email_or_id: str) -> Member:
    """A member by email (anything with an ``@``) or by id."""
    if "@" in email_or_id:
        member = network.members.find_by_email(email_or_id)
        if member is None:
            raise NotFoundError("Member", email_or_id)
        return member
    return network.members.get(email_or_id)


pass_state = click.make_pass_decorator(CliState)
