"""The approver's queue: pending approval tasks of the signed-in staff member's roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from madoguchi.applications import repository
from madoguchi.approvals.eligibility import ROUTE, stage_step
from madoguchi.procedures import ProcedureNotFound, get_procedure


def pending_tasks(roles: tuple[str, ...], now: datetime | None = None) -> list[dict[str, Any]]:
    """Return the pending tasks of ``roles``, oldest first, with the step deadline and
    the approval link's expiry.

    The deadline is the task's creation plus the step's ``deadline_days``.
    """
    now = now or datetime.now(UTC)
    rows = []
    for role in roles:
        for item in repository.list_pending_approval_tasks(role):
            created_at = datetime.fromisoformat(item["created_at"])
            expires_at = datetime.fromisoformat(item["expires_at"])
            if expires_at <= now:
                continue
            row: dict[str, Any] = {
                "task_id": item["task_id"],
                "reference_number": item["reference_number"],
                "approver_role": item["approver_role"],
                "created_at": created_at,
                "expires_at": expires_at,
                "procedure_title": "",
                "step_title": item.get("step_id", ""),
                "deadline": None,
            }
            _add_procedure_details(row, item)
            row["overdue"] = row["deadline"] is not None and row["deadline"] < now
            rows.append(row)
    return sorted(rows, key=lambda row: (row["created_at"], row["task_id"]))


def _add_procedure_details(row: dict[str, Any], item: dict[str, Any]) -> None:
    """Add the procedure and step titles and the deadline.

    Approval tasks do not store the procedure, so each listed task costs one GetItem
    of its application.
    """
    try:
        record = repository.get_application(item["reference_number"])
        definition = get_procedure(record.procedure_id)
    except (repository.ApplicationNotFound, ProcedureNotFound):
        return
    row["procedure_title"] = definition.title.ja
    steps = definition.approval_route.steps
    index = int(item.get("step_index", 0))
    if 0 <= index < len(steps):
        step = stage_step(definition, item.get("stage", ROUTE), index)
        row["step_title"] = step.title.ja
        row["deadline"] = row["created_at"] + timedelta(days=step.deadline_days)
