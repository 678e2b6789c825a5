"""Sessions as iCalendar (RFC 5545): a feed to subscribe to, and invites for mail.

* :func:`feed`: one ``.ics`` calendar (METHOD:PUBLISH) of sessions, a recurring series
  as one event with RRULE, EXDATEs and RECURRENCE-ID overrides;
* :func:`invite` / :func:`series_invite`: one session, or one series, as an iTIP
  REQUEST or CANCEL to attach to mail.

Both give each event a stable UID (``session-<id>@<domain>`` for a one-off session,
``series-<id>@<domain>`` for a series and its occurrences) and the record's
``sequence`` as SEQUENCE, so a calendar replaces what it holds with a newer version.
Every zone an event names gets its VTIMEZONE.  :meth:`SessionService.ics
<cpnetwork.services.sessions.SessionService.ics>` builds the feed of a program, a
member or the network from the store.
"""

from cpnetwork.calendars.components import (
    DEFAULT_DOMAIN,
    event_uid,
    series_uid,
    session_uid,
)
from cpnetwork.calendars.feeds import REFRESH, feed
from cpnetwork.calendars.invites import Address, Method, invite, series_invite

__all__ = [
    "DEFAULT_DOMAIN",
    "REFRESH",
    "Address",
    "Method",
    "event_uid",
    "feed",
    "invite",
    "series_invite",
    "series_uid",
    "session_uid",
]
