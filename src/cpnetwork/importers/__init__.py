"""Importers: files users already have (form exports, meeting reports, calendars) into a network."""

from cpnetwork.importers.base import Importer, ImportFileError, ImportReport, RowError

__all__ = ["ImportFileError", "ImportReport", "Importer", "RowError"]
