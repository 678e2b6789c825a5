"""Importers: files users already have (form exports, meeting reports, calendars) into a network."""

from cpnetwork.importers.base import ImportFileError, Importer, ImportReport, RowError

__all__ = ["ImportFileError", "ImportReport", "Importer", "RowError"]
