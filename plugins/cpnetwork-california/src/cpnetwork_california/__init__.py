"""California for cpnetwork: counties, CCSESA regions, CDS codes and the CDE directory.

Installed as a distribution with an entry point in the ``cpnetwork`` group, named
``california``; every network opened where it is installed gets

* the jurisdiction ``CA``: 58 counties with their CDE county codes and the 11 county
  superintendents' (CCSESA) service regions (:func:`california`);
* the importer ``cde-schools`` for the CDE public schools directory
  (:class:`CdeSchoolsImporter`).

The CDS helpers (:func:`parse_cds`, :func:`is_valid_cds`) and the directory reader
(:func:`read_directory`) can be used on their own.
"""

from __future__ import annotations

from cpnetwork.hookspecs import hookimpl
from cpnetwork.importers import Importer
from cpnetwork.model import Jurisdiction
from cpnetwork_california.cds import CdsCode, cds_problem, is_valid_cds, normalize_cds, parse_cds
from cpnetwork_california.directory import DirectoryFile, DirectoryRecord, read_directory
from cpnetwork_california.geography import (
    STATE_CODE,
    california,
    county_names,
    county_rows,
    inferred_region_counties,
)
from cpnetwork_california.importer import CdeSchoolsImporter


@hookimpl
def register_jurisdictions() -> list[Jurisdiction]:
    return [california()]


@hookimpl
def register_importers() -> list[Importer]:
    return [CdeSchoolsImporter()]


__all__ = [
    "STATE_CODE",
    "CdeSchoolsImporter",
    "CdsCode",
    "DirectoryFile",
    "DirectoryRecord",
    "california",
    "cds_problem",
    "county_names",
    "county_rows",
    "inferred_region_counties",
    "is_valid_cds",
    "normalize_cds",
    "parse_cds",
    "read_directory",
    "register_importers",
    "register_jurisdictions",
]
