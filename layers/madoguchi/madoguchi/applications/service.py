"""Submit applications and report their status to applicants."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from madoguchi.applications import repository, storage, tokens
from madoguchi.applications.models import ApplicationRecord, HistoryEntry
from madoguchi.applications.status import ApplicationStatus, event_label, status_label
from madoguchi.i18n import normalize_locale, translate_all
from madoguchi.procedures import ProcedureDefinition, get_procedure
from madoguchi.procedures.errors import AnswersInvalid, FieldError
from madoguchi.settings import get_settings
from madoguchi.workflow import start_application_workflow


class ProcedureClosed(Exception):
    """The procedure's application window does not contain the submission time."""

    def __init__(self, definition: ProcedureDefinition) -> None:
        super().__init__(definition.id)
        self.definition = definition


class ApplicationAccessDenied(LookupError):
    """Unknown reference number or wrong access token; callers must not tell which."""


@dataclass(frozen=True)
class SubmissionRequest:
    procedure_id: str
    answers: dict[str, Any]
    locale: str


def submit_application(request: SubmissionRequest, now: datetime | None = None) -> dict[str, Any]:
    """Validate, store and start the workflow of a new application.

    Returns the public part of the result (reference number, status, times);
    the caller adds the access token with ``tokens.access_token``.

    Raises:
        ProcedureNotFound: the procedure id is unknown.
        ProcedureClosed: the procedure's window is closed.
        AnswersInvalid: answers are missing or invalid, or a chosen option is closed.
    """
    now = now or datetime.now(UTC)
    definition = get_procedure(request.procedure_id)
    answers = check_answers(definition, request.answers, now)

    reference_number = tokens.new_reference_number(now)
    key = storage.answers_key(definition.id, reference_number, 1)
    storage.save_answers(
        key,
        {
            "procedure_id": definition.id,
            "procedure_version": definition.version,
            "reference_number": reference_number,
            "answers": answers,
            "submitted_at": now.isoformat(),
        },
    )

    record = ApplicationRecord(
        reference_number=reference_number,
        procedure_id=definition.id,
        procedure_version=definition.version,
        status=ApplicationStatus.SUBMITTED,
        locale=normalize_locale(request.locale),
        applicant_email=answers.get("email"),
        answers_key=key,
        fee_amount=definition.fee_amount(answers),
        created_at=now,
        updated_at=now,
        history=[
            HistoryEntry(
                at=now, event="submitted", status=ApplicationStatus.SUBMITTED, actor="applicant"
            )
        ],
    )
    repository.save_new_application(record)
    # NOTE: if StartExecution fails after the record is saved, the application stays
    # "submitted" without a workflow. A sweeper that restarts such executions by
    # name is still missing.
    start_application_workflow(
        reference_number,
        {"reference_number": reference_number, "procedure_id": definition.id, "step_index": 0},
    )
    return {
        "reference_number": reference_number,
        "procedure_id": definition.id,
        "status": record.status.value,
        "submitted_at": now.isoformat(),
    }


def check_answers(definition: ProcedureDefinition, answers: object, now: datetime) -> dict[str, Any]:
    """Check the window and the answers without storing anything; return normalised answers.

    Raises:
        ProcedureClosed: the procedure's window is closed.
        AnswersInvalid: answers are missing or invalid, or a chosen option is closed.
    """
    # jsonschema is imported on the first validation, not at cold start.
    from madoguchi.procedures.validation import validate_answers

    if not definition.is_open(now):
        raise ProcedureClosed(definition)
    normalised = validate_answers(definition, answers)
    closed = definition.closed_choices(normalised, now)
    if closed:
        raise AnswersInvalid([_closed_choice_error(field, option) for field, option in closed])
    return normalised


def _closed_choice_error(field, option) -> FieldError:  # noqa: ANN001
    code = "applications.choice_closed"
    return FieldError(field.id, code, translate_all(code, **option.window.display_bounds()))


def request_fingerprint(request: SubmissionRequest) -> str:
    """Hash of a request body, to tell a replay from a different body under the same key."""
    canonical = json.dumps(
        [request.procedure_id, request.answers, request.locale], ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def get_application_for_applicant(reference_number: str, token: str | None) -> ApplicationRecord:
    """Return an application when the token matches it.

    Raises:
        ApplicationAccessDenied: unknown number or wrong or missing token.
    """
    normalized = tokens.normalize_reference_number(reference_number)
    if not token or not tokens.verify_access_token(get_settings().signing_secret, normalized, token):
        raise ApplicationAccessDenied(reference_number)
    try:
        return repository.get_application(normalized)
    except repository.ApplicationNotFound:
        raise ApplicationAccessDenied(reference_number) from None


def status_view(record: ApplicationRecord) -> dict[str, Any]:
    """Return the applicant's view of an application, with display labels in ja and en."""
    definition = get_procedure(record.procedure_id)
    return {
        "reference_number": record.reference_number,
        "procedure_id": record.procedure_id,
        "procedure_title": {"ja": definition.title.ja, "en": definition.title.get("en")},
        "status": record.status.value,
        "status_label": status_label(record.status),
        "identity_level": definition.identity,
        "fee_amount": record.fee_amount,
        "submitted_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "history": [
            {
                "at": entry.at.isoformat(),
                "event": entry.event,
                "status": entry.status.value,
                "label": event_label(entry.event, step=entry.step_title or ""),
                "comment": entry.comment,
            }
            for entry in record.history
        ],
    }
