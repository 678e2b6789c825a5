"""``applications``: a program's application (or interest) form export, as enrollments.

Option ``program=<id or exact title>`` names the program.  Each row is one submission:
the member is found by email, or created from the row's member columns (the same
columns and ``map.FIELD`` options as the ``members`` importer; an existing member is
not changed).  The submission time (``Timestamp`` / ``Submitted at`` / ``Completion
time`` column, or ``map.submitted_at``) is checked against the program's opening and
deadline, so a file imported after the deadline still counts applications sent in time;
without such a column the time of the import is used.  ``map.track`` names a column
holding a program track (by key or title).  Every other column becomes an answer:
``answers[header] = text`` (empty answers are left out; ``ignore="A;B"`` drops columns).

A program enrolling by application gets applications (``applied``), one enrolling by
interest gets interest forms (``interested``).  A member who already has an enrollment
in the program is left as they are and counted unchanged (so a form exported again with
new rows at the end imports only the new ones); a note says when the answers differ.

Everything (new members and enrollments) is written in one transaction through
:meth:`~cpnetwork.services.enrollment.EnrollmentService.apply_many`: each row
gets the checks ``apply`` makes, every problem is reported by row, and nothing is written
unless every row passes.  A dry run makes the same writes and rolls them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from cpnetwork.errors import BatchError, CpnetworkError
from cpnetwork.importers import _cells, _forms
from cpnetwork.importers._common import (
    Options,
    batch_errors,
    check_record_limit,
    fail_if,
    file_error,
    find_program,
    record_limit,
)
from cpnetwork.importers.base import (
    Importer,
    ImportFileError,
    ImportReport,
    RowError,
    listing,
)
from cpnetwork.model import Member, Program
from cpnetwork.services.enrollment import ApplicationRow

if TYPE_CHECKING:
    from cpnetwork.network import Network

#: Columns read for the submission itself rather than as answers.
SUBMISSION_ALIASES: dict[str, tuple[str, ...]] = {
    "submitted_at": (
        "timestamp",
        "submitted at",
        "submission time",
        "submission date",
        "date submitted",
        "completion time",
        "end date",
    ),
    "track": (),
}


def _track(program: Program, text: str) -> str:
    key = text.strip().casefold()
    for track in program.tracks:
        if key in (track.key.casefold(), track.title.casefold()):
            return track.key
    known = ", ".join(t.key for t in program.tracks) or "the program has none"
    raise ValueError(f"{text!r} is not a track of the program ({known})")


class ApplicationsImporter(Importer):
    kind = "applications"
    description = "Applications or interest forms for a program, from a form-tool CSV."

    OPTIONS: ClassVar[tuple[str, ...]] = (*_forms.FORM_OPTIONS, "program", "timestamp_format")

    def run(
        self,
        network: Network,
        path: Path,
        *,
        dry_run: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> ImportReport:
        opts = Options(options, self.OPTIONS, prefixes=("map.", "map_"))
        errors = opts.problems()
        limit = record_limit(opts, errors)
        program = find_program(network, opts.get("program"), errors)
        form = _forms.read_form(network, path, opts, errors, extra=SUBMISSION_ALIASES)
        assert program is not None
        columns = form.columns
        zone = ZoneInfo(network.profile.timezone)
        stamp_format = opts.get("timestamp_format") or None
        emails = sorted(values["email"] for _, _, values in form.rows)
        found = network.members.find({"email": emails}) if emails else []
        members = {m.email: m for m in found}
        ids = {m.id for m in found}
        enrolled = {
            e.member_id: e for e in network.enrollment.find(program.id) if e.member_id in ids
        }
        new_members: list[Member] = []
        rows: list[ApplicationRow] = []
        places: dict[int, tuple[int | None, str | None]] = {}
        unchanged = 0
        notes: list[str] = []
        for number, cells, values in form.rows:
            submitted = self._submitted(number, cells, columns, zone, stamp_format, errors)
            track = None
            if "track" in columns and cells.get(columns["track"], "").strip():
                try:
                    track = _track(program, cells[columns["track"]])
                except ValueError as exc:
                    errors.append(RowError(row=number, column=columns["track"], reason=str(exc)))
            answers = {h: cells[h] for h in form.unread if cells.get(h, "").strip()}
            member = members.get(values["email"])
            if member is None:
                member = form.reader.new_member(number, values, errors)
                if member is None:
                    continue
                new_members.append(member)
            existing = enrolled.get(member.id)
            if existing is not None:
                unchanged += 1
                if existing.answers != answers:
                    notes.append(
                        f"row {number}: {member.email} already has an enrollment "
                        f"({existing.status.value}); its answers differ from the file's "
                        "and were left as they are"
                    )
                continue
            rows.append(
                ApplicationRow(
                    member_id=member.id, answers=answers, track=track, submitted_at=submitted
                )
            )
            places[len(rows)] = (number, None)
        total = len(rows) + len(new_members)
        check_record_limit(total, limit, "records (enrollments and new members)", errors)
        fail_if(errors, path)
        service = network.enrollment
        try:
            service.apply_many(program.id, rows, new_members=new_members, dry_run=dry_run)
        except BatchError as exc:
            raise ImportFileError(str(path), batch_errors(exc, places)) from exc
        except CpnetworkError as exc:
            raise file_error(path, exc) from exc
        if new_members:
            verb = "would create" if dry_run else "created"
            notes.insert(0, f"{verb} {len(new_members)} new member(s)")
        if form.unread:
            notes.append("answers from columns: " + listing(form.unread, limit=20, quoted=False))
        return ImportReport(
            kind=self.kind,
            source=str(path),
            dry_run=dry_run,
            created=len(rows),
            unchanged=unchanged,
            notes=notes,
        )

    @staticmethod
    def _submitted(
        number: int,
        cells: Mapping[str, str],
        columns: Mapping[str, str],
        zone: ZoneInfo,
        stamp_format: str | None,
        errors: list[RowError],
    ) -> datetime | None:
        header = columns.get("submitted_at")
        text = cells.get(header, "").strip() if header else ""
        if not header or not text:
            return None
        try:
            return _cells.parse_timestamp(text, zone, stamp_format)
        except ValueError as exc:
            hint = "" if stamp_format else "; give timestamp_format=... (e.g. %d/%m/%Y %H:%M:%S)"
            errors.append(RowError(row=number, column=header, reason=f"{exc}{hint}"))
            return None
        except Exception as exc:  # a surprise: still named by its row and column
            reason = f"cannot read it: {type(exc).__name__}: {exc}"
            errors.append(RowError(row=number, column=header, reason=reason))
            return None
