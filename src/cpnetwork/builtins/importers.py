"""The built-in importers: form exports, Zoom reports and calendars, as a plugin."""

from __future__ import annotations

from cpnetwork.hookspecs import hookimpl
from cpnetwork.importers import Importer
from cpnetwork.importers.applications import ApplicationsImporter
from cpnetwork.importers.ical import ICalSessionsImporter
from cpnetwork.importers.members import MembersImporter
from cpnetwork.importers.zoom import ZoomAttendanceImporter


@hookimpl
def register_importers() -> list[Importer]:
    return [
        MembersImporter(),
        ApplicationsImporter(),
        ZoomAttendanceImporter(),
        ICalSessionsImporter(),
    ]
