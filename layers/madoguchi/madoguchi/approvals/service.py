"""Create approval tasks for the workflow and record approvers' decisions.

An approval link carries only a random task id. The Step Functions task token
stays in DynamoDB; GET shows the application, and only a POST with the task's
CSRF token decides, once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools import Logger

from madoguchi.applications import repository, storage
from madoguchi.applications.models import ApplicationRecord, ApprovalTask, HistoryEntry
from madoguchi.approvals import steps
from madoguchi.approvals.eligibility import (
    ELIGIBILITY,
    ROUTE,
    review_status,
    stage_step,
    start_review,
    step_slot,
)
from madoguchi.approvals.routing import (
    ApproverNotConfigured,
    Recipients,
    resolve_recipients,
    step_timers,
)
from madoguchi.notifications import render_email, send_email
from madoguchi.procedures import ProcedureDefinition, get_procedure
from madoguchi.procedures.models import TOKYO, ApprovalStep
from madoguchi.settings import get_settings
from madoguchi.workflow import TaskAlreadyClosed, resume_task

logger = Logger(child=True)

Decision = Literal["approve", "reject", "return"]
DECISIONS: tuple[Decision, ...] = ("approve", "reject", "return")


class ApprovalTaskNotFound(LookupError):
    """No approval task has this id."""


__all__ = ["DECISIONS", "ApprovalTaskNotFound", "ApproverNotConfigured", "approval_view", "decide"]


@dataclass(frozen=True)
class DecisionResult:
    task: ApprovalTask
    workflow_resumed: bool
    # A consultation (合議) step still waits for other roles after this approval.
    awaiting_other_roles: bool = False


def plan_step(reference_number: str, step_index: int) -> dict[str, int]:
    """Return the waits of a step (reminder, escalation, expiry) for the workflow."""
    record = repository.get_application(reference_number)
    step = get_procedure(record.procedure_id).approval_route.steps[step_index]
    return step_timers(get_settings(), step)


def request_approval(
    reference_number: str,
    step_index: int,
    task_token: str,
    now: datetime | None = None,
    stage: str = ROUTE,
) -> list[str]:
    """Create one approval task per role of a route step and e-mail each link.

    A consultation step (several roles) gets one task and link per role. Returns the
    task ids. With ``stage="eligibility"`` the tasks are the eligibility review before
    the payment stage, and the application moves to ``eligibility_review`` first.

    Raises:
        ApproverNotConfigured: a role of the step has no address.
    """
    now = now or datetime.now(UTC)
    settings = get_settings()
    record = repository.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    step = stage_step(definition, stage, step_index)
    # Every address is resolved before anything is stored, so a missing role stores nothing.
    recipients = {role: resolve_recipients(settings, role, now) for role in step.roles}
    if stage == ELIGIBILITY:
        record = start_review(record, step, now)

    tasks = [
        _new_task(record, step_index, step, role, recipients[role], task_token, now, stage=stage)
        for role in step.roles
    ]
    steps.save_step(
        reference_number, record.answers_version, step_slot(stage, step_index), task_token,
        step.roles, [task.task_id for task in tasks], now,
    )
    for task in tasks:
        repository.save_approval_task(task)
        _send_task_link(task, record, definition, step, "approval_request")
    logger.info(
        "approval requested",
        extra={"reference_number": reference_number, "step": step.id, "stage": stage, "tasks": len(tasks)},
    )
    return [task.task_id for task in tasks]


def _new_task(
    record: ApplicationRecord,
    step_index: int,
    step: ApprovalStep,
    role: str,
    recipients: Recipients,
    task_token: str,
    now: datetime,
    acting_as: str | None = None,
    expires_at: datetime | None = None,
    stage: str = ROUTE,
) -> ApprovalTask:
    settings = get_settings()
    return ApprovalTask(
        task_id=secrets.token_urlsafe(32),
        reference_number=record.reference_number,
        step_index=step_index,
        step_id=step.id,
        approver_role=role,
        approver_emails=recipients.emails,
        # NOTE: this is the token of the first wait only. A reminder or an escalation
        # stores a new one in the step item, and decide() reads it from there.
        task_token=task_token,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=expires_at or now + timedelta(hours=settings.approval_link_ttl_hours),
        answers_version=record.answers_version,
        delegates=recipients.delegates,
        acting_as=acting_as or ("代理" if recipients.delegates else None),
        stage=stage,
    )


def _send_task_link(
    task: ApprovalTask,
    record: ApplicationRecord,
    definition: ProcedureDefinition,
    step: ApprovalStep,
    template: str,
) -> None:
    """E-mail a task's link with ``template``, or its ``eligibility_`` variant for an eligibility task."""
    settings = get_settings()
    if task.stage == ELIGIBILITY:
        template = template.replace("approval_", "eligibility_", 1)
    message = render_email(
        template,
        "ja",
        task.approver_emails,
        procedure_title=definition.title.ja,
        reference_number=record.reference_number,
        step_title=step.title.ja,
        step_number=task.step_index + 1,
        step_count=len(definition.approval_route.steps),
        submitted_at=record.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
        approval_url=f"{settings.public_base_url}/approvals/{task.task_id}",
        expires_at=task.expires_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
    )
    send_email(message, purpose=template)


def approval_view(task_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Return what the approval page shows: task state, application and answers.

    Raises:
        ApprovalTaskNotFound: unknown task id.
    """
    now = now or datetime.now(UTC)
    task = repository.get_approval_task(task_id)
    if task is None:
        raise ApprovalTaskNotFound(task_id)
    record = repository.get_application(task.reference_number)
    definition = get_procedure(record.procedure_id)
    state = task.state
    if state == "pending" and task.expires_at <= now:
        state = "expired"
    answers = storage.load_answers(record.answers_key)["answers"] if state == "pending" else {}
    changes: list[dict[str, Any]] = []
    if state == "pending" and record.answers_version > 1:
        from madoguchi.corrections.diff import answer_changes, previous_answers

        changes = answer_changes(definition, previous_answers(record), answers)
    return {
        "state": state,
        "task": task,
        "record": record,
        "definition": definition,
        "step": stage_step(definition, task.stage, task.step_index),
        "stage": task.stage,
        "answers": answers,
        "changes": changes,
    }


def decide(
    task_id: str, decision: str, comment: str, csrf_token: str, now: datetime | None = None
) -> DecisionResult:
    """Record an approver's decision and resume the workflow, exactly once per step.

    In a consultation step (合議) an approval resumes the workflow only when every
    role has approved. A rejection or return by any role ends the step at once and
    closes the other roles' links. In the eligibility review, ``approve`` accepts the
    application and the workflow goes on to the payment stage.

    Raises:
        ValueError: ``decision`` is not approve, reject or return.
        repository.ApprovalTaskClosed: already decided, expired or wrong CSRF token.
    """
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    now = now or datetime.now(UTC)
    task = repository.close_approval_task(task_id, csrf_token, decision, comment, now)
    record = repository.get_application(task.reference_number)
    definition = get_procedure(record.procedure_id)
    route = definition.approval_route.steps
    step = stage_step(definition, task.stage, task.step_index)
    eligibility_review = task.stage == ELIGIBILITY
    route_complete = not eligibility_review and task.step_index + 1 >= len(route)
    slot = step_slot(task.stage, task.step_index)
    actor = _actor(task)
    version = task.answers_version

    if decision == "approve":
        approved = steps.add_approved_role(task.reference_number, version, slot, task.approver_role)
        if not set(step.roles) <= approved:
            _append_decision_history(task, record, step, "step_role_approved", actor, comment, now)
            logger.info(
                "consultation approval recorded",
                extra={"reference_number": task.reference_number, "step": step.id},
            )
            return DecisionResult(task=task, workflow_resumed=False, awaiting_other_roles=True)

    output = {
        "decision": decision,
        "comment": comment,
        "step_id": step.id,
        "step_title": step.title.ja,
        "actor": actor,
        "acting_as": task.acting_as,
        "approver_emails": list(task.approver_emails),
        "answers_version": version,
        "stage": task.stage,
        # After the eligibility review the route starts at its first step.
        "next_step_index": 0 if eligibility_review else task.step_index + 1,
        "route_complete": route_complete,
    }
    try:
        item = steps.claim_outcome(task.reference_number, version, slot, output)
    except steps.StepAlreadyDecided:
        logger.warning(
            "step already decided by another approver",
            extra={"reference_number": task.reference_number, "step": step.id},
        )
        return DecisionResult(task=task, workflow_resumed=False)

    close_step_tasks(item, "superseded", now, keep=task.task_id)
    if decision == "approve" and eligibility_review:
        _append_decision_history(task, record, step, "eligibility_accepted", actor, comment, now)
    elif decision == "approve" and not route_complete:
        _append_decision_history(task, record, step, "step_approved", actor, comment, now)

    resumed = resume_step(task.reference_number, version, slot, item["task_token"], output)
    if resumed:
        logger.info(
            "approval decided",
            extra={"reference_number": task.reference_number, "step": step.id, "stage": task.stage,
                   "decision": decision},
        )
    return DecisionResult(task=task, workflow_resumed=resumed)


def _actor(task: ApprovalTask) -> str:
    """Return who decided: the role, and the substitute or escalation target acting for it."""
    if task.delegates:
        return f"substitute:{','.join(task.delegates)} for approver:{task.approver_role}"
    if task.acting_as == "escalation":
        return f"escalation:{','.join(task.approver_emails)} for approver:{task.approver_role}"
    return f"approver:{task.approver_role}"


def _append_decision_history(
    task: ApprovalTask,
    record: ApplicationRecord,
    step: ApprovalStep,
    event: str,
    actor: str,
    comment: str,
    now: datetime,
) -> None:
    repository.append_history(
        task.reference_number,
        HistoryEntry(
            at=now,
            event=event,
            status=record.status,
            actor=actor,
            comment=comment or None,
            step_id=step.id,
            step_title=step.title.ja,
            answers_version=task.answers_version,
            acting_as=task.acting_as,
            approver_emails=list(task.approver_emails),
        ),
        expected_status=review_status(task.stage),
    )


def resume_step(
    reference_number: str, answers_version: int, step_index: int | str, task_token: str, output: dict[str, Any]
) -> bool:
    """Send the step's outcome to the waiting workflow; return False when it no longer waits.

    ``step_index`` is the step item's key segment (``eligibility.step_slot``).

    A reminder or an escalation may replace the token between reading and sending,
    so a rejected token is retried once with the step's current token. The wait that
    stored the new token also replays a recorded outcome, so the outcome arrives once.
    """
    try:
        resume_task(task_token, _json_ready(output))
        return True
    except TaskAlreadyClosed:
        current = steps.get_step(reference_number, answers_version, step_index) or {}
        latest = current.get("task_token")
        if latest and latest != task_token:
            try:
                resume_task(latest, _json_ready(output))
                return True
            except TaskAlreadyClosed:
                pass
    logger.warning(
        "workflow no longer waits for this approval",
        extra={"reference_number": reference_number, "step_index": step_index},
    )
    return False


def close_step_tasks(item: dict[str, Any], state: str, now: datetime, keep: str | None = None) -> int:
    """Close every pending task of a step except ``keep``; return how many were closed."""
    closed = 0
    for task_id in item.get("task_ids", []):
        if task_id != keep and repository.close_open_approval_task(task_id, state, now):
            closed += 1
    return closed


def _json_ready(value: Any) -> Any:
    """Convert DynamoDB's Decimal numbers back to int for JSON."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    return value
