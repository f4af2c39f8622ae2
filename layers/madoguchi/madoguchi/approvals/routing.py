"""Approval recipients (roles, substitutes, escalation targets) and the waits of a step.

Definitions name roles only. ``APPROVERS`` maps roles to addresses,
``APPROVER_DELEGATES`` sends a role's or an address's links to a substitute (代理)
for a period, and ``APPROVER_ESCALATIONS`` names who gets a step after its deadline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from madoguchi.procedures.models import ApprovalStep
from madoguchi.settings import Settings


class ApproverNotConfigured(Exception):
    """No e-mail address is configured for an approver role (see APPROVERS)."""


@dataclass(frozen=True)
class Recipients:
    """Addresses that get one role's link; ``delegates`` lists the substitutes among them."""

    emails: list[str]
    delegates: list[str] = field(default_factory=list)


def _dedupe(addresses: list[str]) -> list[str]:
    return list(dict.fromkeys(addresses))


def _active_substitutes(settings: Settings, key: str, now: datetime) -> list[str]:
    return [d.substitute for d in settings.approver_delegates.get(key, []) if d.active(now)]


def resolve_recipients(settings: Settings, role: str, now: datetime) -> Recipients:
    """Return the addresses of a role, with active substitutes in place of the absent.

    A delegation keyed by the role replaces every address of the role; one keyed by
    an address replaces that address only.

    Raises:
        ApproverNotConfigured: the role has no address.
    """
    emails = settings.approver_emails(role)
    if not emails:
        raise ApproverNotConfigured(role)
    for_role = _active_substitutes(settings, role, now)
    if for_role:
        return Recipients(emails=_dedupe(for_role), delegates=_dedupe(for_role))

    resolved: list[str] = []
    delegates: list[str] = []
    for email in emails:
        substitutes = _active_substitutes(settings, email, now)
        resolved.extend(substitutes or [email])
        delegates.extend(substitutes)
    return Recipients(emails=_dedupe(resolved), delegates=_dedupe(delegates))


def escalation_recipients(settings: Settings, role: str) -> list[str]:
    """Return the addresses a role's step escalates to; empty when none is configured.

    Each target is an address (contains ``@``) or another approver role.
    """
    addresses: list[str] = []
    for target in settings.approver_escalations.get(role, []):
        addresses.extend([target] if "@" in target else settings.approver_emails(target))
    return _dedupe(addresses)


def step_timers(settings: Settings, step: ApprovalStep) -> dict[str, int]:
    """Return the waits of one step in whole seconds, as Step Functions timeouts need.

    ``remind_after_seconds``: from the request to the reminder, ``reminder_before_days``
    before the deadline (at most half of the deadline). ``escalate_after_seconds``: from
    the reminder to the deadline. ``expire_after_seconds``: from the escalation until
    the application expires.
    """
    scale = settings.approval_deadline_scale_seconds_per_day
    deadline = step.deadline_days * scale
    lead = min(step.reminder_before_days * scale, deadline / 2)
    remind_after = max(1, int(deadline - lead))
    escalate_after = max(1, math.ceil(deadline) - remind_after)
    return {
        "remind_after_seconds": remind_after,
        "escalate_after_seconds": escalate_after,
        "expire_after_seconds": settings.approval_final_timeout_seconds,
    }
