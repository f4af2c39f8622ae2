"""Records of the applications domain as stored in DynamoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from madoguchi.applications.status import ApplicationStatus
from pydantic import BaseModel, ConfigDict, Field


class HistoryEntry(BaseModel):
    """One transition or decision: who did what, when and why."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    at: datetime
    event: str
    status: ApplicationStatus
    actor: str
    comment: str | None = None
    step_id: str | None = None
    step_title: str | None = None
    # Version of the answers the entry refers to (1 at submission, n+1 per resubmission).
    answers_version: int | None = None
    # How the approver acted: "代理" (a substitute) or "escalation" (after the deadline).
    acting_as: str | None = None
    # Staff addresses that the deciding approval link was sent to, for the audit trail.
    approver_emails: list[str] | None = None
    # Fee in yen before and after a resubmission that changed it.
    previous_fee_amount: int | None = None
    fee_amount: int | None = None
    # Yen that the entry moved, such as the difference refunded after a correction.
    amount: int | None = None


class ApplicationRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    reference_number: str
    procedure_id: str
    procedure_version: int
    status: ApplicationStatus
    locale: str
    applicant_email: str | None = None
    answers_key: str
    answers_version: int = 1
    fee_amount: int = 0
    current_step: int | None = None
    # Identity check: level, state, and for a verified session the issuer, subject
    # hash, acr, time and match result (``identity.service.identity_record``).
    identity: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryEntry] = Field(default_factory=list)


class ApprovalTask(BaseModel):
    """An approver's pending decision on one step; the task token never leaves the server."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    task_id: str
    reference_number: str
    step_index: int
    step_id: str
    approver_role: str
    approver_emails: list[str]
    task_token: str
    csrf_token: str
    state: str = "pending"
    decision: str | None = None
    comment: str | None = None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    # Answers version under review; the step item of that version holds the live task token.
    answers_version: int = 1
    # Substitutes (代理) who got the link in place of the role's addresses.
    delegates: list[str] = Field(default_factory=list)
    # "escalation" when the link went to the escalation target after the deadline.
    acting_as: str | None = None
    # "eligibility" for the review before the payment stage (approvals.eligibility),
    # whose step_index is 0 because it goes to the first route step's roles.
    stage: str = "route"
