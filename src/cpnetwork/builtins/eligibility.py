"""Eligibility rules written on a program's enrollment policy."""

from __future__ import annotations

from collections.abc import Sequence

from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import EligibilityRule, Member, Organization, Program, RuleKind
from cpnetwork.services.privacy import refuse_erased


def _has(
    rule: EligibilityRule,
    member: Member,
    organizations: Sequence[Organization],
    region: str | None,
) -> set[str]:
    if rule.kind is RuleKind.ROLES:
        return {r.value for r in member.roles}
    if rule.kind is RuleKind.GRADE_BANDS:
        return {g.value for g in member.grade_bands}
    if rule.kind is RuleKind.COUNTIES:
        return {member.county} if member.county else set()
    if rule.kind is RuleKind.REGIONS:
        return {region} if region else set()
    return {o.kind.value for o in organizations}


@hookimpl
def check_eligibility(
    program: Program, member: Member, organizations: Sequence[Organization], region: str | None
) -> list[str]:
    reasons = refuse_erased(member)
    for rule in program.policy.eligibility:
        if not _has(rule, member, organizations, region) & rule.allowed:
            wanted = ", ".join(sorted(rule.allowed))
            reasons.append(rule.description or f"{rule.kind.value} must include one of: {wanted}")
    return reasons
