"""``members``: people from a form-tool CSV (Google Forms, Microsoft Forms, SurveyMonkey).

A member is found by email (compared normalized).  A new email makes a new member; a
known one is updated with the row's non-empty cells only, so a form that does not ask
for grade bands leaves them as they were.  Roles and grade bands are read as text
("TOSA; Instructional coach", "Grades 3-5") against the model's choices; a county by
code or name when a jurisdiction plugin knows the counties.  Columns are chosen by
``map.FIELD=HEADER`` options, a ``mapping=FILE`` (JSON or TOML), or common header
spellings; see :mod:`cpnetwork.importers._forms`.

Every row is checked first.  The new and the changed members are then written in one
transaction (:meth:`~cpnetwork.services.people.MemberService.save_many`), all or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import evolve

from cpnetwork.errors import CpnetworkError
from cpnetwork.importers import _forms
from cpnetwork.importers._common import (
    Options,
    check_record_limit,
    fail_if,
    file_error,
    record_limit,
)
from cpnetwork.importers.base import Importer, ImportReport, listing
from cpnetwork.model import Member

if TYPE_CHECKING:
    from cpnetwork.network import Network


def merge(member: Member, values: Mapping[str, Any]) -> Member:
    """``member`` with the row's values: custom fields and reach merged key by key."""
    changes = dict(values)
    changes.pop("email", None)
    if "custom" in changes:
        changes["custom"] = {**member.custom, **changes["custom"]}
    if "reach" in changes:
        changes["reach"] = evolve(member.reach, **changes["reach"])
    return evolve(member, **changes)


class MembersImporter(Importer):
    kind = "members"
    description = "Members from a form-tool CSV (Google / Microsoft Forms, SurveyMonkey)."

    def run(
        self,
        network: Network,
        path: Path,
        *,
        dry_run: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> ImportReport:
        opts = Options(options, _forms.FORM_OPTIONS, prefixes=("map.", "map_"))
        errors = opts.problems()
        limit = record_limit(opts, errors)
        form = _forms.read_form(network, path, opts, errors)
        emails = sorted(values["email"] for _, _, values in form.rows)
        existing = {m.email: m for m in network.members.find({"email": emails})} if emails else {}
        new: list[Member] = []
        changed: list[Member] = []
        unchanged = 0
        for number, _, values in form.rows:
            current = existing.get(values["email"])
            if current is None:
                member = form.reader.new_member(number, values, errors)
                if member is not None:
                    new.append(member)
                continue
            member = form.reader.checked(number, merge(current, values), errors)
            if member == current:
                unchanged += 1
            elif member is not None:
                changed.append(member)
        check_record_limit(len(new) + len(changed), limit, "members", errors)
        fail_if(errors, path)
        try:
            network.members.save_many(new, changed, dry_run=dry_run)
        except CpnetworkError as exc:
            raise file_error(path, exc) from exc
        notes = []
        if form.unread:
            notes.append("columns not imported: " + listing(form.unread, limit=20, quoted=False))
        return ImportReport(
            kind=self.kind,
            source=str(path),
            dry_run=dry_run,
            created=len(new),
            updated=len(changed),
            unchanged=unchanged,
            notes=notes,
        )
