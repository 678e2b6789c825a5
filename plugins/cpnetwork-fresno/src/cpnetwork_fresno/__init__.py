"""Fresno County's rules for cpnetwork: the example county plugin others copy.

What a county asks for, each through one hook:

- a custom member field: the member's Fresno science cohort (``register_member_fields``);
- an eligibility rule: programs tagged ``fresno-coe-only`` take only staff of the
  Fresno County Superintendent of Schools (``check_eligibility``);
- the county coordinator's digest: every enrollment change of a Fresno member is
  written to the plugin's own table in the same transaction as the change
  (``register_record_kinds`` + ``record_event``), so the digest never misses or
  invents one;
- a command, ``cpnetwork fresno digest``, that prints the digest (``register_commands``);
- the county coordinator (``CPNETWORK_FRESNO_COORDINATOR``) copied on every acceptance
  of a Fresno member (``notification_recipients``);
- the digest's entries of a member erased with them (``erase_member``) and listed in
  what is exported about them (``export_member``).
- a section of the reach report: Fresno's members by science cohort (``report_sections``).
"""

from __future__ import annotations

from cpnetwork_fresno.commands import register_commands
from cpnetwork_fresno.digest import (
    DigestEntry,
    erase_member,
    export_member,
    record_event,
    register_record_kinds,
)
from cpnetwork_fresno.notices import COORDINATOR_ENV, notification_recipients
from cpnetwork_fresno.reach import CohortRow, report_sections
from cpnetwork_fresno.rules import (
    COE_ONLY_TAG,
    FRESNO,
    check_eligibility,
    register_member_fields,
)

__all__ = [
    "COE_ONLY_TAG",
    "COORDINATOR_ENV",
    "FRESNO",
    "CohortRow",
    "DigestEntry",
    "check_eligibility",
    "erase_member",
    "export_member",
    "notification_recipients",
    "record_event",
    "register_commands",
    "register_member_fields",
    "register_record_kinds",
    "report_sections",
]
