"""Default waitlist order: review rank first, then first come, first offered.

While this is the only ``order_waitlist`` implementation, a freed seat reads the line
from the store in the same order (``cpnetwork.services.seats.DEFAULT_LINE``), a few
at a time, instead of calling it with the whole line.
"""

from __future__ import annotations

from collections.abc import Sequence

from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import Enrollment, Program


def _key(enrollment: Enrollment) -> tuple[bool, int, int, str]:
    unranked = enrollment.rank is None
    return (unranked, enrollment.rank or 0, enrollment.queue_number or 0, enrollment.id)


@hookimpl(trylast=True)
def order_waitlist(program: Program, waitlisted: Sequence[Enrollment]) -> list[Enrollment]:
    return sorted(waitlisted, key=_key)
