"""The report as a JSON document with stable, documented keys.

::

    {
      "report": "reach",               # the report's name
      "title": "Reach and county coverage",
      "network": "Science Leaders",
      "filters": {"county": ["10"]},   # the filters given, by name
      "sections": [
        {
          "key": "by_county", "title": "Members by county",
          "columns": [{"key": "county", "title": "County code", "doc": "..."}, ...],
          "rows": [{"county": "10", "name": "Fresno", ...}, ...],
          "notes": ["..."]
        }
      ]
    }

Keys appear in this order; row keys are the columns' keys, in column order.  Dates
and datetimes are ISO 8601 text, percentages numbers from 0 to 100, unknowns null.
Text keeps the data's characters; ``<``, ``>``, ``&`` and the line separators
U+2028 / U+2029, and the bidirectional controls, are written as JSON unicode escapes,
so the text stays inert even if a page embeds it or a terminal shows the file (they
decode to the same characters).
"""

from __future__ import annotations

import json
from typing import Any

from cpnetwork.reports.render.cells import BIDI, json_value
from cpnetwork.reports.report import Report

#: The version of the document's shape: raised when a key changes meaning or goes.
VERSION = 1


def document(report: Report) -> dict[str, Any]:
    return {
        "report": report.name,
        "version": VERSION,
        "title": report.title,
        "network": report.network,
        "filters": report.filters.applied(),
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "columns": [
                    {"key": c.key, "title": c.title, "doc": c.doc} for c in section.columns
                ],
                "rows": [
                    {
                        c.key: json_value(v)
                        for c, v in zip(section.columns, section.cells(row), strict=True)
                    }
                    for row in section.rows
                ],
                "notes": list(section.notes),
            }
            for section in report.sections
        ],
    }


def render_json(report: Report) -> str:
    """The document as JSON text, indented, ending in a newline."""
    text = json.dumps(document(report), indent=2, ensure_ascii=False)
    for char, escape in _INERT.items():
        text = text.replace(char, escape)
    return text + "\n"


#: Characters a page embedding the JSON could read as markup or as a line break, and the
#: bidi controls that would reorder the file as shown.
_INERT = {char: f"\\u{ord(char):04x}" for char in "<>&\u2028\u2029" + "".join(sorted(BIDI))}
