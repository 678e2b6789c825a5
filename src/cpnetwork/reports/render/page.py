"""The report as one self-contained HTML file: inline CSS and SVG charts, nothing fetched.

Jinja2 with autoescaping writes every text from the data escaped; the charts are SVG
that matplotlib drew, with text as paths.  A Content-Security-Policy meta tag forbids
scripts and any fetch, so even a page someone edits by hand stays inert.
"""

from __future__ import annotations

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from cpnetwork.reports.render import charts
from cpnetwork.reports.render.cells import cell_text, clean_text
from cpnetwork.reports.report import Report

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ report.title|clean }} — {{ report.network|clean }}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #1a202c; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #cbd5e0; }
.filters, .note { color: #4a5568; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e2e8f0; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f7fafc; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>{{ report.title|clean }}</h1>
<p class="filters">{{ report.network|clean }} · Filters: {{ filters|clean }}</p>
{% for section in sections %}
<section id="{{ section.key }}">
<h2>{{ section.title|clean }}</h2>
{% if section.chart %}<figure>{{ section.chart }}</figure>{% endif %}
{% if section.rows %}
<table>
<thead><tr>{% for column in section.columns %}
<th title="{{ column.doc|clean }}">{{ column.title|clean }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in section.rows %}<tr>{% for cell, number in row %}
<td{% if number %} class="number"{% endif %}>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% else %}<p class="note">Nothing to show.</p>{% endif %}
{% for note in section.notes %}<p class="note">{{ note|clean }}</p>{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""

_environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_environment.filters["clean"] = lambda value: clean_text(str(value))
_template = _environment.from_string(TEMPLATE)


def render_html(report: Report) -> str:
    """The page, ready to write to a file (UTF-8)."""
    applied = report.filters.applied()
    sections = []
    for number, section in enumerate(report.sections):
        drawn = charts.svg(section, salt=f"{report.name}-{number}")
        sections.append(
            {
                "key": f"section-{number}",
                "title": section.title,
                "columns": section.columns,
                "rows": [
                    [
                        (cell_text(v), isinstance(v, int | float) and not isinstance(v, bool))
                        for v in section.cells(row)
                    ]
                    for row in section.rows
                ],
                "notes": section.notes,
                # matplotlib's own SVG: text drawn as paths, nothing from the data as markup.
                "chart": Markup(drawn) if drawn is not None else None,
            }
        )
    shown = "; ".join(f"{k}: {v}" for k, v in applied.items()) or "none"
    return _template.render(report=report, filters=shown, sections=sections)
