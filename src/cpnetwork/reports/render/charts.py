"""Charts as inline SVG, drawn with matplotlib's SVG backend (imported only when drawn).

Text is drawn as paths (no font is fetched, no label can become markup), math-text
parsing is off (a ``$`` in a title stays a dollar sign), and the SVG carries no date and
ids salted per chart, so the same report gives the same bytes and several charts
share one page without clashing ids.  Without matplotlib (the ``reports`` extra), or
for sections too long to picture, :func:`svg` returns None and the page keeps the table.
"""

from __future__ import annotations

import io
import re
from typing import Any

from cpnetwork.reports.render.cells import clean_text
from cpnetwork.reports.report import Section

#: Sections with more rows than this are left as tables.
MAX_BARS = 80
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_COLOURS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5")


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def svg(section: Section, salt: str) -> str | None:
    """The section's chart as an ``<svg>`` element, or None (no chart, no matplotlib)."""
    chart = section.chart
    if chart is None or not section.rows or len(section.rows) > MAX_BARS or not available():
        return None
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    titles = {c.key: c.title for c in section.columns}
    labels = [clean_text(str(getattr(row, chart.label)))[:48] for row in section.rows]
    series = [[_number(getattr(row, key)) for row in section.rows] for key in chart.values]
    with rc_context({"svg.fonttype": "path", "svg.hashsalt": salt, "text.parse_math": False}):
        height = max(2.5, 0.28 * len(labels) + 1.2) if chart.horizontal else 3.5
        figure = Figure(figsize=(8, height), layout="constrained")
        FigureCanvasSVG(figure)
        axes: Any = figure.add_subplot()
        positions = list(range(len(labels)))
        width = 0.8 / len(series)
        for number, (key, values) in enumerate(zip(chart.values, series, strict=True)):
            colour = _COLOURS[number % len(_COLOURS)]
            shifted = [p + number * width - 0.4 + width / 2 for p in positions]
            if chart.line:
                axes.plot(positions, values, marker="o", color=colour, label=titles[key])
            elif chart.horizontal:
                axes.barh(shifted, values, height=width, color=colour, label=titles[key])
            else:
                axes.bar(shifted, values, width=width, color=colour, label=titles[key])
        if chart.horizontal and not chart.line:
            axes.set_yticks(positions, labels, fontsize=7)
            axes.invert_yaxis()
            if chart.limit is not None:
                axes.set_xlim(0, chart.limit)
        else:
            axes.set_xticks(positions, labels, fontsize=8, rotation=30 if len(labels) > 6 else 0)
            if chart.limit is not None:
                axes.set_ylim(0, chart.limit)
        if len(series) > 1:
            axes.legend(fontsize=8)
        axes.set_title(clean_text(section.title), fontsize=10)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    # The RDF metadata block names the creator and schema URLs: nothing a page needs.
    return _METADATA.sub("", text[text.index("<svg") :])


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
