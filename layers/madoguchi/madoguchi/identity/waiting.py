"""The workflow's identity stage: check the identity recorded at submission, or wait
for the applicant to verify through an e-mailed link."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from madoguchi.applications import repository, storage
from madoguchi.applications.models import HistoryEntry
from madoguchi.applications.status import ApplicationStatus
from madoguchi.identity import store
from madoguchi.identity.service import IdentitySessionInvalid, identity_record
from madoguchi.procedures import get_procedure
from madoguchi.settings import get_settings

logger = Logger(child=True)

# How long the e-mailed link works; the workflow's AwaitIdentity timeout must not be shorter.
LINK_LIFETIME = timedelta(days=30)


def check_identity(reference_number: str, now: datetime | None = None) -> dict[str, Any]:
    """Return ``{"awaiting": bool, "outcome": …}`` for the workflow's Choice state.

    An identity verified at submission is written to the history (matched or
    mismatched), so staff see it. The workflow sends ``mismatched`` and ``failed`` to
    the eligibility review before payment.
    """
    now = now or datetime.now(UTC)
    record = repository.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    identity = record.identity or {}
    if identity.get("state") == "verified":
        outcome = identity["match"]["outcome"]
        entry = HistoryEntry(at=now, event=f"identity_{outcome}", status=record.status, actor="workflow")
        repository.append_history(reference_number, entry, record.status)
        return {"awaiting": False, "outcome": outcome}
    if definition.identity == "none":
        return {"awaiting": False, "outcome": "not_required"}
    return {"awaiting": True, "outcome": "pending"}


def request_identity(reference_number: str, task_token: str, now: datetime | None = None) -> str:
    """Move the application to ``awaiting_identity``, keep the task token server-side and
    e-mail the applicant a link with a random id. Returns the link id.

    Raises:
        repository.InvalidTransition: the application is no longer ``submitted``.
    """
    from madoguchi.applications.notify import status_url
    from madoguchi.notifications import render_email, send_email

    now = now or datetime.now(UTC)
    record = repository.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    link_id = secrets.token_urlsafe(32)
    store.put_item(
        link_id, "WAIT", {"reference_number": reference_number, "task_token": task_token}, now + LINK_LIFETIME
    )
    entry = HistoryEntry(
        at=now, event="identity_requested", status=ApplicationStatus.AWAITING_IDENTITY, actor="workflow"
    )
    repository.transition_application(
        reference_number,
        ApplicationStatus.AWAITING_IDENTITY,
        entry,
        identity={"level": definition.identity, "state": "awaiting"},
    )
    if record.applicant_email:
        message = render_email(
            "identity_request",
            record.locale,
            [record.applicant_email],
            procedure_title=definition.title.get(record.locale),
            reference_number=reference_number,
            identity_url=f"{get_settings().public_base_url}/identity/start?link={link_id}",
            status_url=status_url(reference_number),
        )
        send_email(message, purpose="identity_request")
    else:
        logger.warning("no applicant address for the identity link", extra={"reference_number": reference_number})
    return link_id


def complete_identity_wait(link_id: str, verified_session_id: str, now: datetime | None = None) -> str:
    """Record a verification made through an e-mailed link and resume the workflow.

    Returns the reference number.

    Raises:
        IdentitySessionInvalid: the link or the session is unknown, expired or used.
        TaskAlreadyClosed: the workflow stopped waiting (timed out or stopped).
    """
    from madoguchi.workflow import resume_task

    now = now or datetime.now(UTC)
    try:
        wait = store.take_item(link_id, "WAIT", now)
        reference_number = wait["reference_number"]
        session = store.claim_verified_session(verified_session_id, reference_number, now)
    except store.IdentityItemNotFound:
        raise IdentitySessionInvalid() from None

    record = repository.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    answers = storage.load_answers(record.answers_key)["answers"]
    identity = identity_record(definition, answers, session)
    outcome = identity["match"]["outcome"]
    entry = HistoryEntry(at=now, event=f"identity_{outcome}", status=record.status, actor="applicant")
    repository.append_history(
        reference_number, entry, ApplicationStatus.AWAITING_IDENTITY, identity=identity
    )
    resume_task(wait["task_token"], {"awaiting": False, "outcome": outcome})
    logger.info("identity wait completed", extra={"reference_number": reference_number, "outcome": outcome})
    return reference_number
