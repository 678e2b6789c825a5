"""Rendering a queued message: its subject, text, HTML alternative, invite and headers.

Rendering happens when a message is first dispatched, from the records as they are
then, and what was rendered is kept on the message so a retry sends the same thing.
Text is rendered without escaping; HTML with Jinja2's autoescape, so names and fields
from the data cannot add markup.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from attrs import evolve

from cpnetwork.errors import DeliveryError
from cpnetwork.model import (
    OPTIONAL_CATEGORIES,
    Enrollment,
    Member,
    NetworkProfile,
    OutboxMessage,
    Program,
    Session,
    SessionSeries,
)
from cpnetwork.notifications.wording import (
    DEFAULT_WORDING,
    GREETING,
    HTML_LAYOUT,
    SIGNATURE,
)
from cpnetwork.plugins import PluginHost
from cpnetwork.serialization import structure
from cpnetwork.storage import Transaction

if TYPE_CHECKING:
    import jinja2
    import jinja2.runtime

#: Topics whose messages carry a calendar invite, and its method.
INVITES: dict[str, str] = {
    "session.changed": "REQUEST",
    "reminder.session": "REQUEST",
    "session.cancelled": "CANCEL",
}


def when(moment: datetime | None, zone: str = "UTC", *, time_only: bool = False) -> str:
    """``Tuesday, October 8, 2024 at 4:00 PM PDT``: an instant in a zone, for people."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    clock = f"{local.hour % 12 or 12}:{local:%M %p %Z}"
    if time_only:
        return clock
    return f"{local:%A, %B} {local.day}, {local.year} at {clock}"


class Renderer:
    """Renders messages with the default wording or the templates plugins give."""

    def __init__(self, plugins: PluginHost) -> None:
        import jinja2  # loaded when messages are first rendered, not with the library

        self._plugins = plugins
        options: dict[str, Any] = {
            "undefined": jinja2.StrictUndefined,
            "keep_trailing_newline": True,
        }
        self._text = jinja2.Environment(autoescape=False, **options)
        self._html = jinja2.Environment(autoescape=True, **options)
        for environment in (self._text, self._html):
            environment.filters["when"] = jinja2.pass_context(_when_filter)
        self._compiled: dict[tuple[bool, str], jinja2.Template] = {}
        self._errors = jinja2.TemplateError

    def source(self, topic: str, part: str, program: Program | None) -> str:
        """The template of one part of a topic: a plugin's, else the default."""
        answer = self._plugins.call_first(
            "message_template", topic=topic, part=part, program=program
        )
        if answer is not None:
            if not isinstance(answer[1], str):
                raise DeliveryError(
                    "template", topic, f"plugin {answer[0]} gave a {type(answer[1]).__name__}"
                )
            return answer[1]
        if part == "html":
            return HTML_LAYOUT
        wording = DEFAULT_WORDING.get(topic)
        if wording is None:
            raise DeliveryError("template", topic, "no template for this topic", permanent=True)
        subject, body = wording
        return subject if part == "subject" else GREETING + body + SIGNATURE

    def _template(self, source: str, *, html: bool) -> jinja2.Template:
        key = (html, source)
        template = self._compiled.get(key)
        if template is None:
            environment = self._html if html else self._text
            template = self._compiled[key] = environment.from_string(source)
        return template

    def render(
        self, message: OutboxMessage, tx: Transaction, profile: NetworkProfile
    ) -> OutboxMessage:
        """``message`` with subject, text, HTML, invite and headers filled in."""
        member = _get(tx, Member, message.member_id)
        program = _get(tx, Program, message.program_id)
        session = _get(tx, Session, message.session_id)
        data: dict[str, Any] = json.loads(message.data) if message.data else {}
        if "session" in data:
            # A session change's message shows the session as that change left it.
            session = structure(data.pop("session"), Session)
        enrollment = None
        if member is not None and program is not None:
            enrollment = tx.find_one(Enrollment, {"program_id": program.id, "member_id": member.id})
        unsubscribe = unsubscribe_link(message, profile)
        context: dict[str, Any] = {
            "network": profile,
            "member": member,
            "recipient": message.recipient,
            "program": program,
            "session": session,
            "enrollment": enrollment,
            "data": data,
            "category": message.category.value,
            "unsubscribe": unsubscribe,
        }
        try:
            subject = self._part(message.topic, "subject", program, context)
            text = self._part(message.topic, "text", program, context)
            html = self._part(
                message.topic,
                "html",
                program,
                {**context, "subject": subject, "paragraphs": _paragraphs(text)},
            )
        except self._errors as exc:
            raise DeliveryError(
                "template", message.topic, f"rendering failed: {exc}", permanent=True
            ) from exc
        headers = dict(message.headers)
        if unsubscribe:
            headers["List-Unsubscribe"] = f"<{unsubscribe}>"
            if unsubscribe.startswith("https://"):
                headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        calendar = ""
        method = INVITES.get(message.topic)
        if method is not None and session is not None:
            calendar = session_invite(tx, message, session, program, profile, method)
        return evolve(
            message,
            subject=" ".join(subject.split()),
            text=text,
            html=html,
            calendar=calendar,
            headers=headers,
        )

    def _part(
        self,
        topic: str,
        part: str,
        program: Program | None,
        context: dict[str, Any],
    ) -> str:
        template = self._template(self.source(topic, part, program), html=part == "html")
        return template.render(context)


def _when_filter(
    context: jinja2.runtime.Context,
    moment: datetime | None,
    zone: str | None = None,
    *,
    time_only: bool = False,
) -> str:
    """The ``when`` filter: in the zone given, else the network's."""
    return when(moment, zone or context["network"].timezone, time_only=time_only)


def session_invite(
    tx: Transaction,
    message: OutboxMessage,
    session: Session,
    program: Program | None,
    profile: NetworkProfile,
    method: str,
) -> str:
    """The iCalendar invite a session's message carries, or "" without a mail sender.

    Invites go by mail: the organizer is the network's sender.  The stamp is when the
    message was queued, so a retry attaches the same invite.
    """
    email = profile.notifications.email
    if email is None or "@" not in message.recipient:
        return ""
    from cpnetwork.calendars import invite  # icalendar loads only when mail needs it

    series = None if session.series_id is None else tx.get(SessionSeries, session.series_id)
    organizer = (email.sender_name, email.sender) if email.sender_name else email.sender
    return invite(
        session,
        series=series,
        method=method,
        organizer=organizer,
        attendees=[message.recipient],
        program=program,
        stamp=message.created_at,
    ).decode("utf-8")


def _paragraphs(text: str) -> list[list[str]]:
    blocks = [block.strip("\n") for block in text.split("\n\n")]
    return [block.split("\n") for block in blocks if block.strip()]


def _get(tx: Transaction, cls: type[Any], record_id: str | None) -> Any:
    return None if record_id is None else tx.get(cls, record_id)


def unsubscribe_link(message: OutboxMessage, profile: NetworkProfile) -> str:
    """Where the recipient can stop this category of mail, or "" when it cannot be stopped."""
    email = profile.notifications.email
    if message.category not in OPTIONAL_CATEGORIES or message.member_id is None:
        return ""
    if email is not None and email.unsubscribe_url:
        return email.unsubscribe_url.format(
            member_id=quote(message.member_id), category=quote(message.category.value)
        )
    if email is not None:
        subject = quote(f"unsubscribe {message.category.value}")
        return f"mailto:{email.sender}?subject={subject}"
    return ""
