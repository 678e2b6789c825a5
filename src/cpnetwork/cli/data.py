"""Getting data in and out: ``import`` (files, by importer), ``export`` and ``import-json``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from cpnetwork.cli._output import echo, progress_bar, working
from cpnetwork.cli._state import CliError, CliState, pass_state, record_count
from cpnetwork.errors import CpnetworkError
from cpnetwork.export_json import ExportFormatError, read_export
from cpnetwork.importers.registry import registered_importers


def _known_kinds(ctx: click.Context | None) -> dict[str, str]:
    """Import kinds and their descriptions, from the plugins this run loaded."""
    state = ctx.find_object(CliState) if ctx is not None else None
    if state is None:
        return {}
    return {
        kind: importer.description
        for kind, (_, importer) in registered_importers(state.host).items()
    }


def _check_kind(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A kind of file some installed importer reads; any other is a usage error."""
    known = _known_kinds(ctx)
    if value not in known:
        listed = ", ".join(sorted(known)) if known else "none: plugins add importers"
        raise click.BadParameter(f"unknown import kind {value!r} (known kinds: {listed})")
    return value


def _complete_kinds(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    try:
        known = _known_kinds(ctx)
    except CpnetworkError:
        return []
    return [
        CompletionItem(kind, help=description)
        for kind, description in sorted(known.items())
        if kind.startswith(incomplete)
    ]


class ImportCommand(click.Command):
    """``import``, whose help lists the kinds of file the installed importers read."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        try:
            known = _known_kinds(ctx)
        except CpnetworkError:
            known = {}
        with formatter.section("Kinds of file"):
            if known:
                formatter.write_dl(sorted(known.items()))
            else:
                formatter.write_text("None installed: importers come from plugins.")
        super().format_epilog(ctx, formatter)


def _options(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for value in values:
        key, sep, setting = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", ctx, param)
        options[key.strip()] = setting
    return options


@click.command(
    "import",
    cls=ImportCommand,
    epilog="""\b
Examples:
  cpnetwork import members roster.csv --dry-run
  cpnetwork import zoom-attendance zoom-report.csv -o session=7d41... -o present_minutes=60
""",
)
@click.argument("kind", callback=_check_kind, shell_complete=_complete_kinds)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option(
    "--option",
    "-o",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_options,
    help="A setting for the importer (repeatable).",
)
@pass_state
def import_file(
    state: CliState, kind: str, file: Path, dry_run: bool, options: dict[str, str]
) -> None:
    """Import FILE with the importer for KIND: every row, or none.

    A file with problems writes nothing and lists each problem by row and column.
    A dry run against a database that does not exist yet runs against an empty
    network and creates no file.
    """
    if dry_run and state.missing_file() is not None:
        network = state.open(url="memory://")
    else:
        network = state.open(create=True)
    with working(f"Importing {file.name}"):
        report = network.import_file(kind, file, dry_run=dry_run, **options)
    echo(report.summary())


@click.command(
    "import-json",
    epilog="""\b
Examples:
  cpnetwork export backup.json
  cpnetwork --db restored.db import-json backup.json
  cpnetwork export | cpnetwork --db copy.db import-json -
""",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@pass_state
def import_json(state: CliState, file: str) -> None:
    """Load a whole network written by `cpnetwork export` into an empty database.

    FILE is the JSON export ('-' reads stdin), read record by record as it loads, so
    memory stays flat however big the export.  The database is created if it does not
    exist; one that already holds records is refused.  All records load, or none.
    """
    try:
        with click.open_file(file, encoding="utf-8") as stream:
            # The opening is read first: a file that is no export at all creates nothing.
            sections = read_export(stream)
            network = state.open(create=True)
            held = record_count(network)
            if held:
                raise CliError(
                    f"{network.storage.url} already holds {held} records; "
                    "import-json loads an export into an empty database"
                )
            with progress_bar(f"Loading {file}") as progress:
                written = network.import_data(sections, progress=progress)
    except UnicodeDecodeError as exc:
        raise CliError(f"{file}: not UTF-8 text ({exc.reason})") from exc
    except ExportFormatError as exc:
        raise CliError(f"{file}: {exc.reason}") from exc
    echo(f"Imported {written} records into {network.storage.url}.")


@click.command(
    epilog="""\b
Examples:
  cpnetwork export backup.json
  cpnetwork export | jq '.member | length'
"""
)
@click.argument(
    "file", default="-", type=click.Path(dir_okay=False, allow_dash=True, writable=True)
)
@pass_state
def export(state: CliState, file: str) -> None:
    """Write the whole network as JSON to FILE (or stdout with '-', the default).

    The export holds every record by kind; `cpnetwork import-json FILE` loads it into
    an empty database.  Records are written as they are read, so memory stays flat
    however big the network.  A file is written beside FILE and renamed onto it only
    once the export is complete and on disk: a full disk or any error leaves the
    previous FILE as it was.  The file is readable by its owner only (mode 0600).
    """
    network = state.open(read_only=True)
    try:
        with progress_bar("Exporting the network") as progress:
            if file == "-":
                with click.open_file(file, "w", encoding="utf-8") as out:
                    counts = network.export(out, progress=progress)
            else:
                counts = network.export(Path(file), progress=progress)
    except OSError as exc:
        raise CliError(f"cannot write {file}: {exc.strerror or exc}") from exc
    if file != "-":
        listed = ", ".join(f"{kind} {n}" for kind, n in counts.items() if n)
        total = sum(counts.values())
        echo(f"Exported {total} records ({listed}) to {file}.", err=True)
