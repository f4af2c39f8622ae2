"""Status changes made by the workflow's tasks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from madoguchi.applications import repository
from madoguchi.applications.models import ApplicationRecord, HistoryEntry
from madoguchi.applications.status import ApplicationStatus


def record_status(
    reference_number: str,
    status: str,
    event: str,
    decision: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ApplicationRecord:
    """Move an application to ``status``; a repeated call with the same target is a no-op.

    Step Functions may run a task twice (retries, at-least-once delivery), so a
    transition that already happened returns the record instead of failing.

    Raises:
        repository.InvalidTransition: the current status does not allow ``status``.
    """
    now = now or datetime.now(UTC)
    target = ApplicationStatus(status)
    decision = decision or {}
    entry = HistoryEntry(
        at=now,
        event=event,
        status=target,
        actor=decision.get("actor", "workflow"),
        comment=decision.get("comment") or None,
        step_id=decision.get("step_id"),
        step_title=decision.get("step_title"),
        answers_version=decision.get("answers_version"),
        acting_as=decision.get("acting_as"),
        approver_emails=decision.get("approver_emails"),
    )
    try:
        return repository.transition_application(reference_number, target, entry)
    except repository.InvalidTransition:
        current = repository.get_application(reference_number)
        if current.status == target:
            return current
        raise
