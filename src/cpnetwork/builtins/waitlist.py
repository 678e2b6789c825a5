"""Default waitlist order: review rank first, then first come, first offered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import Enrollment, Program


def _key(enrollment: Enrollment) -> tuple[bool, int, datetime, str]:
    unranked = enrollment.rank is None
    arrived = enrollment.waitlisted_at or enrollment.created_at
    return (unranked, enrollment.rank or 0, arrived, enrollment.id)


@hookimpl(trylast=True)
def order_waitlist(program: Program, waitlisted: Sequence[Enrollment]) -> list[Enrollment]:
    return sorted(waitlisted, key=_key)
