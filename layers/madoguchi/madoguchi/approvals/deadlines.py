"""Reminders and escalation of approval steps, run by the workflow's timeouts.

The workflow waits for a decision with a timeout. When the timeout fires, the old
task token is no longer valid, so each of these functions runs as a new ``waitForTaskToken``
task: it stores the new token in the step item, and the approval links already
sent stay valid. If a decision ended the step while no wait was active, its
recorded outcome is sent with the new token at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from madoguchi.applications import repository
from madoguchi.applications.models import ApplicationRecord, ApprovalTask, HistoryEntry
from madoguchi.approvals import steps
from madoguchi.approvals.eligibility import ROUTE, review_status, stage_step, step_slot
from madoguchi.approvals.routing import Recipients, escalation_recipients, step_timers
from madoguchi.approvals.service import _new_task, _send_task_link, resume_step
from madoguchi.procedures import get_procedure
from madoguchi.procedures.models import ApprovalStep
from madoguchi.settings import get_settings

logger = Logger(child=True)


def remind_step(
    reference_number: str,
    step_index: int,
    task_token: str,
    now: datetime | None = None,
    stage: str = ROUTE,
) -> dict[str, Any]:
    """E-mail a reminder for every pending link of the step and wait again.

    ``stage="eligibility"`` reminds of the eligibility review before payment.
    Returns ``{"reminded": <number of links>}``, or ``{"replayed": True}`` when the
    step had already been decided.
    """
    now = now or datetime.now(UTC)
    settings = get_settings()
    record = repository.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    step = stage_step(definition, stage, step_index)
    slot = step_slot(stage, step_index)
    item = steps.replace_task_token(reference_number, record.answers_version, slot, task_token, [])
    if "outcome" in item:
        resume_step(reference_number, record.answers_version, slot, task_token, item["outcome"])
        return {"replayed": True}

    # The links must outlive this wait and the escalation wait after it.
    timers = step_timers(settings, step)
    valid_until = now + timedelta(
        seconds=timers["escalate_after_seconds"] + timers["expire_after_seconds"]
    )
    reminded = 0
    for task in _pending_tasks(item):
        repository.extend_approval_link(task.task_id, valid_until)
        task = task.model_copy(update={"expires_at": max(task.expires_at, valid_until)})
        _send_task_link(task, record, definition, step, "approval_reminder")
        reminded += 1
    _append_history(record, step, "approval_reminded", "workflow", now, stage)
    logger.info("approval reminder sent", extra={"reference_number": reference_number, "links": reminded})
    return {"reminded": reminded}


def escalate_step(
    reference_number: str,
    step_index: int,
    task_token: str,
    now: datetime | None = None,
    stage: str = ROUTE,
) -> dict[str, Any]:
    """Send a new link to the escalation target of every role that has not decided.

    The original links stay valid; whichever link decides first ends the role's part
    of the step. A role without an escalation target gets an overdue reminder instead.
    Returns ``{"escalated": <new links>, "overdue_reminders": <links reminded>}``.
    """
    now = now or datetime.now(UTC)
    settings = get_settings()
    record = repository.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    step = stage_step(definition, stage, step_index)
    slot = step_slot(stage, step_index)
    current = steps.get_step(reference_number, record.answers_version, slot) or {}
    approved = set(current.get("approved_roles", set()))
    valid_until = now + timedelta(seconds=settings.approval_final_timeout_seconds)

    pending = [task for task in _pending_tasks(current) if task.approver_role not in approved]
    escalations: list[ApprovalTask] = []
    overdue: list[ApprovalTask] = []
    for role in dict.fromkeys(task.approver_role for task in pending):
        targets = escalation_recipients(settings, role)
        if not targets:
            overdue.extend(task for task in pending if task.approver_role == role)
            continue
        escalations.append(
            _new_task(
                record, step_index, step, role, Recipients(emails=targets), task_token, now,
                acting_as="escalation", expires_at=valid_until, stage=stage,
            )
        )

    item = steps.replace_task_token(
        reference_number, record.answers_version, slot, task_token,
        [task.task_id for task in escalations],
    )
    if "outcome" in item:
        resume_step(reference_number, record.answers_version, slot, task_token, item["outcome"])
        return {"replayed": True}

    for task in pending:
        repository.extend_approval_link(task.task_id, valid_until)
    for task in escalations:
        repository.save_approval_task(task)
        _send_task_link(task, record, definition, step, "approval_escalated")
    for task in overdue:
        task = task.model_copy(update={"expires_at": max(task.expires_at, valid_until)})
        _send_task_link(task, record, definition, step, "approval_overdue")
    _append_history(record, step, "approval_escalated", "workflow", now, stage)
    logger.info(
        "approval escalated",
        extra={"reference_number": reference_number, "links": len(escalations), "overdue": len(overdue)},
    )
    return {"escalated": len(escalations), "overdue_reminders": len(overdue)}


def _pending_tasks(item: dict[str, Any]) -> list[ApprovalTask]:
    tasks = (repository.get_approval_task(task_id) for task_id in item.get("task_ids", []))
    return [task for task in tasks if task is not None and task.state == "pending"]


def _append_history(
    record: ApplicationRecord, step: ApprovalStep, event: str, actor: str, now: datetime, stage: str
) -> None:
    status = review_status(stage)
    entry = HistoryEntry(
        at=now,
        event=event,
        status=status,
        actor=actor,
        step_id=step.id,
        step_title=step.title.ja,
        answers_version=record.answers_version,
    )
    try:
        repository.append_history(record.reference_number, entry, status)
    except repository.InvalidTransition:
        # Withdrawn meanwhile: the withdrawal stops this execution as well.
        logger.info("application left review; history not appended",
                    extra={"reference_number": record.reference_number, "event": event})
