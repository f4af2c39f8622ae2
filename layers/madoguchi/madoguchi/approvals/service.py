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
from madoguchi.applications.models import ApprovalTask, HistoryEntry
from madoguchi.applications.status import ApplicationStatus
from madoguchi.notifications import render_email, send_email
from madoguchi.procedures import get_procedure
from madoguchi.procedures.models import TOKYO
from madoguchi.settings import get_settings
from madoguchi.workflow import TaskAlreadyClosed, resume_task

logger = Logger(child=True)

Decision = Literal["approve", "reject", "return"]
DECISIONS: tuple[Decision, ...] = ("approve", "reject", "return")


class ApproverNotConfigured(Exception):
    """No e-mail address is configured for an approver role (see APPROVERS)."""


class ApprovalTaskNotFound(LookupError):
    """No approval task has this id."""


@dataclass(frozen=True)
class DecisionResult:
    task: ApprovalTask
    workflow_resumed: bool


def request_approval(
    reference_number: str, step_index: int, task_token: str, now: datetime | None = None
) -> str:
    """Create the approval task of one route step and e-mail its link to the approvers.

    Returns the task id.

    Raises:
        ApproverNotConfigured: the step's role has no address.
    """
    now = now or datetime.now(UTC)
    settings = get_settings()
    record = repository.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    step = definition.approval_route.steps[step_index]
    emails = settings.approver_emails(step.approver_role)
    if not emails:
        raise ApproverNotConfigured(step.approver_role)

    task = ApprovalTask(
        task_id=secrets.token_urlsafe(32),
        reference_number=reference_number,
        step_index=step_index,
        step_id=step.id,
        approver_role=step.approver_role,
        approver_emails=emails,
        task_token=task_token,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=settings.approval_link_ttl_hours),
    )
    repository.save_approval_task(task)

    message = render_email(
        "approval_request",
        "ja",
        emails,
        procedure_title=definition.title.ja,
        reference_number=reference_number,
        step_title=step.title.ja,
        step_number=step_index + 1,
        step_count=len(definition.approval_route.steps),
        submitted_at=record.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
        approval_url=f"{settings.public_base_url}/approvals/{task.task_id}",
        expires_at=task.expires_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
    )
    send_email(message, purpose="approval_request")
    logger.info("approval requested", extra={"reference_number": reference_number, "step": step.id})
    return task.task_id


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
    return {
        "state": state,
        "task": task,
        "record": record,
        "definition": definition,
        "step": definition.approval_route.steps[task.step_index],
        "answers": answers,
    }


def decide(
    task_id: str, decision: str, comment: str, csrf_token: str, now: datetime | None = None
) -> DecisionResult:
    """Record an approver's decision and resume the workflow, exactly once.

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
    steps = definition.approval_route.steps
    step = steps[task.step_index]
    route_complete = task.step_index + 1 >= len(steps)

    if decision == "approve" and not route_complete:
        repository.append_history(
            task.reference_number,
            HistoryEntry(
                at=now,
                event="step_approved",
                status=record.status,
                actor=f"approver:{task.approver_role}",
                comment=comment or None,
                step_id=step.id,
                step_title=step.title.ja,
            ),
            expected_status=ApplicationStatus.UNDER_REVIEW,
        )

    output = {
        "decision": decision,
        "comment": comment,
        "step_id": step.id,
        "step_title": step.title.ja,
        "actor": f"approver:{task.approver_role}",
        "next_step_index": task.step_index + 1,
        "route_complete": route_complete,
    }
    try:
        resume_task(task.task_token, output)
    except TaskAlreadyClosed:
        logger.warning(
            "workflow no longer waits for this approval",
            extra={"reference_number": task.reference_number, "step": step.id},
        )
        return DecisionResult(task=task, workflow_resumed=False)
    logger.info(
        "approval decided",
        extra={"reference_number": task.reference_number, "step": step.id, "decision": decision},
    )
    return DecisionResult(task=task, workflow_resumed=True)
