"""The ``cde-schools`` importer: the CDE school directory into a network's organizations.

Every row of the directory becomes an :class:`~cpnetwork.model.Organization`: a county
office, a district or a school (see :mod:`cpnetwork_california.directory` for how they
are told apart), with

* ``parent_id``: school → its district-level record (the district, or the county office
  for schools a county office runs); district → the county office of its county;
* ``county``: the CDE county code (``"01"``..``"58"``);
* ``identifiers``: ``cds`` (the 14-digit CDS code); ``nces_district``, the 7-digit NCES
  district (LEA) id from ``NCESDist`` (on a school, its district's); ``nces_school``, the
  12-digit NCES school id (``NCESDist`` + the 5-digit ``NCESSchool``), unique nationwide.
  Identifiers of other schemes are kept;
* ``status`` from ``StatusType`` and ``website`` from ``WebSite``.

Importing is idempotent: rows are matched to stored organizations by their CDS code,
changed ones are updated and the rest counted unchanged; nothing is duplicated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import evolve

from cpnetwork.errors import ValidationError
from cpnetwork.importers import Importer, ImportFileError, ImportReport, RowError
from cpnetwork.model import Organization, OrganizationKind, OrganizationStatus, new_id
from cpnetwork_california.cds import NO_SCHOOL, normalize_cds
from cpnetwork_california.directory import DirectoryRecord, read_directory

if TYPE_CHECKING:
    from cpnetwork.network import Network

#: Identifier schemes the importer writes (and owns: absent in the file, removed).
CDS = "cds"
NCES_DISTRICT = "nces_district"
NCES_SCHOOL = "nces_school"
SCHEMES = (CDS, NCES_DISTRICT, NCES_SCHOOL)

_KIND_LABELS = {
    OrganizationKind.COUNTY_OFFICE: ("county office", "county offices"),
    OrganizationKind.DISTRICT: ("district", "districts"),
    OrganizationKind.SCHOOL: ("school", "schools"),
}


class CdeSchoolsImporter(Importer):
    """County offices, districts and schools from the CDE ``pubschls`` directory."""

    kind = "cde-schools"
    description = (
        "California's public schools and districts directory (CDE pubschls .txt or .xlsx): "
        "county offices, districts and schools with CDS and NCES ids"
    )

    def run(
        self,
        network: Network,
        path: Path,
        *,
        dry_run: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> ImportReport:
        if options:
            raise ValidationError("importer", self.kind, f"takes no options, got {sorted(options)}")
        directory = read_directory(path)
        errors = list(directory.errors) + _repeated_codes(directory.records)
        if errors:
            errors.sort(key=lambda e: (e.row or 0, e.column or ""))
            raise ImportFileError(directory.source, errors)
        plan = _Plan(directory.records, _stored(network))
        if not dry_run:
            network.organizations.save_many(plan.new, plan.changed)
        return ImportReport(
            kind=self.kind,
            source=directory.source,
            dry_run=dry_run,
            created=len(plan.new),
            updated=len(plan.changed),
            unchanged=plan.unchanged,
            notes=plan.notes(directory.layout),
        )


def _repeated_codes(records: Iterable[DirectoryRecord]) -> list[RowError]:
    first_row: dict[str, int] = {}
    errors = []
    for record in records:
        code = str(record.cds)
        if code in first_row:
            reason = f"CDS code {code} repeats row {first_row[code]}"
            errors.append(RowError(row=record.row, column="CDSCode", reason=reason))
        else:
            first_row[code] = record.row
    return errors


def _stored(network: Network) -> dict[str, Organization]:
    """Organizations that have a CDS code, by code: one query, not one per row."""
    stored: dict[str, Organization] = {}
    for organization in network.organizations.find({f"identifiers.{CDS}__ne": None}):
        code = organization.identifiers[CDS]
        stored.setdefault(normalize_cds(code) or code, organization)
    return stored


class _Plan:
    """What to write: organizations to add, stored ones that changed, the unchanged count."""

    def __init__(
        self, records: tuple[DirectoryRecord, ...], stored: dict[str, Organization]
    ) -> None:
        self.new: list[Organization] = []
        self.changed: list[Organization] = []
        self.unchanged = 0
        self.kinds: Counter[OrganizationKind] = Counter()
        self.orphans: list[str] = []
        self.partial_nces = 0
        ids = {code: organization.id for code, organization in stored.items()}
        for record in records:
            ids.setdefault(str(record.cds), new_id())
        offices = _county_offices(records, stored)
        for record in records:
            code = str(record.cds)
            parent = self._parent(record, ids, offices)
            previous = stored.get(code)
            identifiers = {
                k: v
                for k, v in (previous.identifiers if previous else {}).items()
                if k not in SCHEMES
            }
            identifiers.update(_identifiers(record))
            fields: dict[str, Any] = {
                "name": record.name,
                "kind": record.kind,
                "parent_id": parent,
                "county": record.county,
                "identifiers": identifiers,
                "status": record.status,
                "website": record.website,
            }
            self.kinds[record.kind] += 1
            if record.nces_school is not None and record.nces_district is None:
                self.partial_nces += 1
            if previous is None:
                self.new.append(Organization(id=ids[code], **fields))
                continue
            updated = evolve(previous, **fields)
            if updated == previous:
                self.unchanged += 1
            else:
                self.changed.append(updated)

    def _parent(
        self, record: DirectoryRecord, ids: dict[str, str], offices: dict[str, str]
    ) -> str | None:
        if record.kind is OrganizationKind.COUNTY_OFFICE:
            return None
        if record.kind is OrganizationKind.DISTRICT:
            office = offices.get(record.county)
            return ids[office] if office is not None else None
        district = ids.get(str(record.cds.district_code()))
        if district is None:
            self.orphans.append(str(record.cds))
        return district

    def notes(self, layout: str) -> tuple[str, ...]:
        counts = ", ".join(
            f"{n} {_KIND_LABELS[kind][n != 1]}" for kind, n in sorted(self.kinds.items())
        )
        lines = [f"read {sum(self.kinds.values())} rows ({layout}): {counts}"]
        if self.orphans:
            shown = ", ".join(self.orphans[:5])
            more = f" and {len(self.orphans) - 5} more" if len(self.orphans) > 5 else ""
            lines.append(
                f"{_schools(len(self.orphans))} no district record (CDS ...{NO_SCHOOL}) "
                f"in the file or the network, so no parent: {shown}{more}"
            )
        if self.partial_nces:
            lines.append(
                f"{_schools(self.partial_nces)} an NCESSchool number but no NCESDist, "
                "so no 12-digit nces_school id"
            )
        return tuple(lines)


def _schools(n: int) -> str:
    return f"{n} school has" if n == 1 else f"{n} schools have"


def _identifiers(record: DirectoryRecord) -> dict[str, str]:
    identifiers = {CDS: str(record.cds)}
    if record.nces_district is not None:
        identifiers[NCES_DISTRICT] = record.nces_district
        if record.nces_school is not None:
            identifiers[NCES_SCHOOL] = record.nces_district + record.nces_school
    return identifiers


def _county_offices(
    records: Iterable[DirectoryRecord], stored: Mapping[str, Organization]
) -> dict[str, str]:
    """The CDS code of each county's office: the active one, else the lowest code.

    A county may have more than one county-office record (Los Angeles lists two merged
    ones besides its active office); districts hang under the active one.
    """
    candidates: dict[str, tuple[OrganizationStatus, str | None]] = {
        code: (organization.status, organization.county)
        for code, organization in stored.items()
        if organization.kind is OrganizationKind.COUNTY_OFFICE
    }
    for record in records:
        code = str(record.cds)
        if record.kind is OrganizationKind.COUNTY_OFFICE:
            candidates[code] = (record.status, record.county)
        else:
            candidates.pop(code, None)
    best: dict[str, str] = {}
    for code, (status, county) in sorted(candidates.items()):
        if county is None:
            continue
        current = best.get(county)
        if current is None or (
            status is OrganizationStatus.ACTIVE
            and candidates[current][0] is not OrganizationStatus.ACTIVE
        ):
            best[county] = code
    return best
