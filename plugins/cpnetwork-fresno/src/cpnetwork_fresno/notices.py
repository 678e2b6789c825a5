"""The county coordinator is copied on every acceptance of a Fresno member."""

from __future__ import annotations

import os

from cpnetwork import hookimpl
from cpnetwork.notifications import Notice
from cpnetwork_fresno.rules import FRESNO

#: The coordinator's address; without it, nobody is copied.
COORDINATOR_ENV = "CPNETWORK_FRESNO_COORDINATOR"


@hookimpl
def notification_recipients(notice: Notice) -> list[str]:
    coordinator = os.environ.get(COORDINATOR_ENV, "").strip()
    member = notice.member
    if not coordinator or notice.topic != "enrollment.accepted" or member is None:
        return []
    return [coordinator] if member.county == FRESNO else []
