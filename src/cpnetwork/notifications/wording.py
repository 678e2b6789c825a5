"""The default wording of each message topic: a subject and a text body, in Jinja2.

Templates see ``network`` (the profile), ``member``, ``recipient``, ``program``,
``session``, ``enrollment`` (each None when the message is not about one) and
``data`` (the notice's extra values), and the filter ``when`` that shows an instant
in the session's (else the network's) zone.  The HTML alternative wraps the text in
:data:`HTML_LAYOUT` unless a plugin gives a topic its own HTML.  Plugins replace any
part through the ``message_template`` hook.
"""

from __future__ import annotations

GREETING = "Hello {{ member.given_name or member.name if member else 'there' }},\n\n"
SIGNATURE = "\n\n{{ network.name }}\n"

_PROGRAM = "{{ program.title if program else 'the program' }}"
_SESSION = (
    "{{ session.title }}: {{ session.start | when(session.timezone) }} "
    "to {{ session.end | when(session.timezone, time_only=True) }}"
    "{% if session.venue %}\nWhere: {{ session.venue }}{% endif %}"
    "{% if session.join_url %}\nJoin: {{ session.join_url }}{% endif %}"
)

#: topic -> (subject, text body).
DEFAULT_WORDING: dict[str, tuple[str, str]] = {
    "enrollment.interested": (
        f"We have your interest in {_PROGRAM}",
        f"Thank you for your interest in {_PROGRAM}. We will let you know when applications open.",
    ),
    "enrollment.applied": (
        f"Application received: {_PROGRAM}",
        f"We received your application to {_PROGRAM}. We will write again once it "
        "has been reviewed.",
    ),
    "enrollment.accepted": (
        f"Accepted: {_PROGRAM}",
        f"Congratulations: you are accepted into {_PROGRAM}. Please confirm your place.",
    ),
    "enrollment.waitlisted": (
        f"On the waitlist: {_PROGRAM}",
        f"{_PROGRAM} is full, so you are on its waitlist"
        "{% if enrollment and enrollment.queue_number %} (number "
        "{{ enrollment.queue_number }}){% endif %}. We will write if a place opens.",
    ),
    "enrollment.offered": (
        f"A place is open for you: {_PROGRAM}",
        f"A place in {_PROGRAM} has opened for you."
        "{% if enrollment and enrollment.offer_expires_at %} It is held for you until "
        "{{ enrollment.offer_expires_at | when }}.{% endif %} Accept it to take it.",
    ),
    "enrollment.enrolled": (
        f"You are enrolled: {_PROGRAM}",
        f"You are enrolled in {_PROGRAM}. We look forward to seeing you.",
    ),
    "enrollment.declined": (
        f"Place declined: {_PROGRAM}",
        f"You declined your place in {_PROGRAM}. Thank you for letting us know.",
    ),
    "enrollment.expired": (
        f"Offer expired: {_PROGRAM}",
        f"The place we held for you in {_PROGRAM} was not taken up in time and has "
        "passed to the next person waiting.",
    ),
    "enrollment.withdrawn": (
        f"Withdrawn: {_PROGRAM}",
        f"You are no longer enrolled in {_PROGRAM}.",
    ),
    "enrollment.cancelled": (
        f"Cancelled: {_PROGRAM}",
        f"Your enrollment in {_PROGRAM} was cancelled."
        "{% if data.reason %} Reason: {{ data.reason }}{% endif %}",
    ),
    "enrollment.completed": (
        f"Completed: {_PROGRAM}",
        f"Congratulations on completing {_PROGRAM}.",
    ),
    "session.changed": (
        "Changed: {{ session.title }}",
        f"A session of {_PROGRAM} has changed. The calendar invite is updated.\n\n{_SESSION}",
    ),
    "session.cancelled": (
        "Cancelled: {{ session.title }}",
        f"This session of {_PROGRAM} is cancelled:\n\n{_SESSION}",
    ),
    "reminder.session": (
        "{% if data.days == 1 %}Tomorrow{% else %}In {{ data.days }} days{% endif %}: "
        "{{ session.title }}",
        f"A reminder of your session of {_PROGRAM}:\n\n{_SESSION}",
    ),
    "reminder.deadline": (
        f"Apply by {{{{ program.policy.deadline | when }}}}: {_PROGRAM}",
        f"Applications to {_PROGRAM} close on {{{{ program.policy.deadline | when }}}}.",
    ),
    "reminder.offer": (
        f"Your place is held until {{{{ enrollment.offer_expires_at | when }}}}: {_PROGRAM}",
        f"The place in {_PROGRAM} held for you expires on "
        "{{ enrollment.offer_expires_at | when }}. Accept it before then to take it.",
    ),
}

#: The text body of a topic: greeting, its wording, the network's name.
TEXT_LAYOUT = GREETING + "{body}" + SIGNATURE

#: The HTML alternative of a plain-text message: the text's paragraphs, escaped.
HTML_LAYOUT = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
{% for lines in paragraphs %}<p>{% for line in lines %}{{ line }}{% if not loop.last %}<br>
{% endif %}{% endfor %}</p>
{% endfor %}
{% if unsubscribe %}<p style="color: #666; font-size: smaller">
<a href="{{ unsubscribe }}">Unsubscribe from {{ category }}</a></p>{% endif %}
</body></html>
"""
