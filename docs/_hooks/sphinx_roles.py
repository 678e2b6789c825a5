"""Griffe extension for the API reference: the docstrings' reStructuredText bits as Markdown.

The docstrings name other objects the Sphinx way (``:class:`~cpnetwork.Network```,
``:meth:`Title <module.Class.method>```); mkdocstrings shows Markdown, so each role
becomes inline code: the title when one is given, the last part after ``~``, else the
whole dotted name. A paragraph ending in ``::`` before an indented example ends in
``:`` (the indented lines are a code block in Markdown too).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

LITERAL = re.compile(r"(?<=\S)::$|^[ \t]*::\n", re.MULTILINE)
ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|data|exc|obj|const):`([^`]+)`")


def _code(match: re.Match[str]) -> str:
    target = match.group(1).strip()
    titled = re.fullmatch(r"(.+?)\s*<([^>]+)>", target)
    if titled:
        return f"`{titled.group(1)}`"
    if target.startswith("~"):
        return f"`{target[1:].rsplit('.', 1)[-1]}`"
    return f"`{target}`"


def plain_roles(text: str) -> str:
    """The docstring ``text`` with Sphinx roles as inline code and ``::`` as ``:``."""
    return LITERAL.sub(lambda match: ":" if match.group() == "::" else "", ROLE.sub(_code, text))


class SphinxRoles(griffe.Extension):
    """Rewrites each docstring as it is loaded, before mkdocstrings parses it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(obj.docstring.value)
