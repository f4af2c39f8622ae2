"""The eligibility review before the payment stage (手数料の支払い前の受付確認).

The identity check may not confirm the applicant as typed: ``mismatched`` (which
includes a non-resident for a residents-only procedure) or ``failed``. Then the
workflow requests a decision from the approvers of the first route step before any
fee is requested: accept the application, return it or reject it.

The review reuses the approval tasks, links, reminders and escalation of a route
step. Its tasks carry ``stage = "eligibility"`` and its step item the key segment
``eligibility`` in place of a step index, so it never collides with the first route
step of the same answers version.
"""

from __future__ import annotations

from datetime import datetime

from madoguchi.applications import repository
from madoguchi.applications.models import ApplicationRecord, HistoryEntry
from madoguchi.applications.status import ApplicationStatus
from madoguchi.i18n import translate_all
from madoguchi.procedures import ProcedureDefinition
from madoguchi.procedures.models import ApprovalStep, LocalizedText

ROUTE = "route"
ELIGIBILITY = "eligibility"


def review_step(definition: ProcedureDefinition) -> ApprovalStep:
    """Return the eligibility review as a step: the first route step's roles and deadline."""
    first = definition.approval_route.steps[0]
    return first.model_copy(
        update={"id": ELIGIBILITY, "title": LocalizedText(**translate_all("approvals.eligibility_title"))}
    )


def stage_step(definition: ProcedureDefinition, stage: str, step_index: int) -> ApprovalStep:
    """Return the step that a task of ``stage`` decides.

    Raises:
        ValueError: ``stage`` is neither ``route`` nor ``eligibility``.
    """
    if stage == ELIGIBILITY:
        return review_step(definition)
    if stage != ROUTE:
        raise ValueError(f"unknown stage {stage!r}; expected route or eligibility")
    return definition.approval_route.steps[step_index]


def step_slot(stage: str, step_index: int) -> int | str:
    """Return the key segment of the step item: the route step's index, or ``eligibility``."""
    return ELIGIBILITY if stage == ELIGIBILITY else step_index


def start_review(record: ApplicationRecord, step: ApprovalStep, now: datetime) -> ApplicationRecord:
    """Move the application to ``eligibility_review``; a repeated request leaves it there.

    Raises:
        repository.InvalidTransition: the application left the identity stage
            (withdrawn meanwhile).
    """
    entry = HistoryEntry(
        at=now,
        event="eligibility_review_requested",
        status=ApplicationStatus.ELIGIBILITY_REVIEW,
        actor="workflow",
        step_id=step.id,
        step_title=step.title.ja,
        answers_version=record.answers_version,
    )
    try:
        return repository.transition_application(
            record.reference_number, ApplicationStatus.ELIGIBILITY_REVIEW, entry
        )
    except repository.InvalidTransition:
        current = repository.get_application(record.reference_number)
        if current.status == ApplicationStatus.ELIGIBILITY_REVIEW:
            return current
        raise


def review_status(stage: str) -> ApplicationStatus:
    """Return the status an application has while a task of ``stage`` is open."""
    return ApplicationStatus.ELIGIBILITY_REVIEW if stage == ELIGIBILITY else ApplicationStatus.UNDER_REVIEW
