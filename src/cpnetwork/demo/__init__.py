"""The four seed networks, run end to end: ``make demo`` or ``python -m cpnetwork.demo``.

One SQLite file holds one network with each seed's organization and programs:

* 000, a museum's K-12 Science Leader Network (:mod:`.leader_network`): 1,100 leaders in
  all 58 counties with their reach and equity focus, and an evaluation survey shaped
  like the published table;
* 001, a statewide Science Community of Practice (:mod:`.community`): regional and
  county teams, the 2020-21 virtual series with grade-level and job-alike groups, the
  five-module principals' series and the materials archive since 2016;
* 002, a science PD alliance (:mod:`.alliance`): its timeline, state and national
  partners, recognitions, and the Early Implementation Initiative's impact;
* 003, the 2024/25 scope & sequence (:mod:`.scope_sequence`): an academy by
  application, an administrators' network by interest, a convening with a per-office
  quota, and a 4 pm learning-community series across daylight saving.

Then the year runs (:mod:`.year`) and every registered report is written to a folder
(:mod:`.output`).  People are synthetic, generated from a fixed seed, so every run
tells the same story; counties, regions, program structure and dates are the seeds'.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from cpnetwork.demo.clock import DemoClock, pacific
from cpnetwork.demo.guard import NotEmptyError, held_network, refuse_a_network
from cpnetwork.errors import CpnetworkError
from cpnetwork.files import remove_database
from cpnetwork.network import Network

#: The name of the demo's network: ``--rebuild`` replaces only a network of this name.
DEMO_NAME = "California Science Leaders (demo)"
#: The report folder's name, beside the database file.
REPORTS_DIR = "demo-reports"


def run(
    url: str,
    *,
    console: Console | None = None,
    seed: int = 2024,
    reports: str | Path | None = None,
) -> Network:
    """Play the demo year into a new network at ``url``; returns the open network.

    ``url`` must name a new SQLite file or an empty database: one that holds a
    network is refused with :class:`NotEmptyError` before anything is written.  With
    ``reports`` (a folder, created if need be) every registered report is written
    there, with the Zoom report the year imports and the messages delivered.
    """
    from cpnetwork.demo import output, year

    refuse_a_network(url)
    console = console or Console()
    folder = Path(reports) if reports is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    clock = DemoClock(pacific(2024, 7, 15, 9))
    net = Network.open(url, name=DEMO_NAME, clock=clock)
    try:
        with output.mail_sink(folder):
            story = year.play(net, clock, seed, folder)
        console.print(f"[bold]{net.profile.name}[/bold] at {net.storage.url}")
        output.summary(console, net, story)
        for line in output.key_numbers(net, story):
            console.print(line)
        if folder is not None:
            written = output.write_reports(net, folder, output.extra_reports(net, story))
            console.print(
                f"Wrote {len(written)} reports (html, csv, json, md, txt each) to "
                f"{folder.resolve()}; open {(folder / 'index.html').resolve()}"
            )
    except BaseException:
        net.close()
        raise
    return net


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cpnetwork.demo [--rebuild] [--reports DIR] [DB_FILE]``: the demo network.

    DB_FILE (default ``demo-network.db``) must be new or an empty database; a file
    holding a network is refused.  ``--rebuild`` (what ``make demo`` runs) replaces a
    file holding an earlier demo network, and still refuses any other network.  The
    reports go to DIR (default ``demo-reports/`` beside DB_FILE).
    """
    parser = argparse.ArgumentParser(
        prog="python -m cpnetwork.demo",
        description=main.__doc__.splitlines()[0] if main.__doc__ else None,
    )
    parser.add_argument("db_file", nargs="?", default="demo-network.db", metavar="DB_FILE")
    parser.add_argument(
        "--rebuild", action="store_true", help="replace an earlier demo network in DB_FILE"
    )
    parser.add_argument(
        "--reports",
        metavar="DIR",
        help=f"where to write the reports (default: {REPORTS_DIR}/ beside DB_FILE)",
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    path = Path(args.db_file).resolve()
    reports = Path(args.reports) if args.reports else path.parent / REPORTS_DIR
    url = f"sqlite:///{path}"
    created = not path.exists()
    try:
        held = held_network(url)
        if args.rebuild and held is not None and held[0] == DEMO_NAME:
            remove_database(path)
            created = True
        with run(url, reports=reports):
            pass
    except CpnetworkError as error:
        if created:
            remove_database(path)  # a failed first run leaves no half-built demo
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"The demo network is in {path}; explore it with `cpnetwork --db {path} members list`.")
    return 0


__all__ = [
    "DEMO_NAME",
    "REPORTS_DIR",
    "NotEmptyError",
    "held_network",
    "main",
    "refuse_a_network",
    "run",
]
