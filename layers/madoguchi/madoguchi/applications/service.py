"""Submit applications and report their status to applicants."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from madoguchi.applications import repository, storage, tokens
from madoguchi.applications.models import ApplicationRecord, HistoryEntry
from madoguchi.applications.status import ApplicationStatus, history_label, status_label
from madoguchi.attachments.service import attach_uploads, attachment_errors
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
    # Verified session from the identity function (My Number card or e-mail code).
    identity_session_id: str | None = None


def submit_application(request: SubmissionRequest, now: datetime | None = None) -> dict[str, Any]:
    """Validate, store and start the workflow of a new application.

    Returns the public part of the result (reference number, status, times);
    the caller adds the access token with ``tokens.access_token``.

    Raises:
        ProcedureNotFound: the procedure id is unknown.
        ProcedureClosed: the procedure's window is closed.
        AnswersInvalid: answers are missing or invalid, or a chosen option is closed.
        IdentitySessionInvalid: the identity session is unknown, expired, used by
            another application or belongs to another procedure.
    """
    from madoguchi.identity.service import identity_for_submission

    now = now or datetime.now(UTC)
    definition = get_procedure(request.procedure_id)
    answers = check_answers(definition, request.answers, now)

    reference_number = tokens.new_reference_number(now)
    # The answers are stored first: if that fails, the identity session and the
    # uploads are still unused and the resident can simply send again.
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
    identity = identity_for_submission(
        definition, answers, request.identity_session_id, reference_number, now
    )
    # Binding the uploads before the application is stored means two applications
    # cannot claim the same file.
    attach_uploads(definition, answers, reference_number)

    record = ApplicationRecord(
        reference_number=reference_number,
        procedure_id=definition.id,
        procedure_version=definition.version,
        status=ApplicationStatus.SUBMITTED,
        locale=normalize_locale(request.locale),
        applicant_email=answers.get("email"),
        answers_key=key,
        fee_amount=definition.fee_amount(answers),
        identity=identity,
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


def check_answers(
    definition: ProcedureDefinition,
    answers: object,
    now: datetime,
    resubmission_of: str | None = None,
) -> dict[str, Any]:
    """Check the window and the answers without storing anything; return normalised answers.

    A resubmission after a return for correction (``resubmission_of`` = its reference
    number) skips the window checks, because the application was made in time, and
    accepts uploads already attached to that application.

    Raises:
        ProcedureClosed: the procedure's window is closed.
        AnswersInvalid: answers are missing or invalid, a chosen option is closed, or
            an attached upload is unknown, still being checked or rejected.
    """
    # jsonschema is imported on the first validation, not at cold start.
    from madoguchi.procedures.validation import validate_answers

    if resubmission_of is None and not definition.is_open(now):
        raise ProcedureClosed(definition)
    normalised = validate_answers(definition, answers)
    closed = definition.closed_choices(normalised, now) if resubmission_of is None else []
    if closed:
        raise AnswersInvalid([_closed_choice_error(field, option) for field, option in closed])
    # Every listed upload must be an accepted file of this procedure and field.
    attachment_problems = attachment_errors(definition, normalised, attached_to=resubmission_of)
    if attachment_problems:
        raise AnswersInvalid(attachment_problems)
    return normalised


def _closed_choice_error(field, option) -> FieldError:
    code = "applications.choice_closed"
    return FieldError(field.id, code, translate_all(code, **option.window.display_bounds()))


def request_fingerprint(request: SubmissionRequest) -> str:
    """Hash of a request body, to tell a replay from a different body under the same key."""
    canonical = json.dumps(
        [request.procedure_id, request.answers, request.locale, request.identity_session_id],
        ensure_ascii=False,
        sort_keys=True,
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
        "identity": _identity_view(record),
        "fee_amount": record.fee_amount,
        "payment": _payment_view(record),
        "notice": _notice_view(record),
        "submitted_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "history": [
            {
                "at": entry.at.isoformat(),
                "event": entry.event,
                "status": entry.status.value,
                "label": _history_label(entry, definition),
                "comment": entry.comment,
            }
            for entry in record.history
        ],
    }


def _history_label(entry: HistoryEntry, definition: ProcedureDefinition) -> dict[str, str]:
    """Return the entry's label with the route step named in each language of the definition.

    The entry stores the Japanese step title only, so the English label looks the step up.
    """
    step = next((step for step in definition.approval_route.steps if step.id == entry.step_id), None)
    if step is None:
        return history_label(entry)
    return {
        locale: history_label(entry.model_copy(update={"step_title": step.title.get(locale)}))[locale]
        for locale in ("ja", "en")
    }


def _identity_view(record: ApplicationRecord) -> dict[str, Any]:
    """Return the applicant's view of the identity check: state and match outcome only."""
    identity = record.identity or {}
    view: dict[str, Any] = {"state": identity.get("state", "not_required")}
    match = identity.get("match")
    if match:
        view["match"] = match["outcome"]
        view["mismatched_attributes"] = [d["attribute"] for d in match.get("differences", [])]
    return view


def _notice_view(record: ApplicationRecord) -> dict[str, Any] | None:
    """Return the notice's title and download path once it is issued (decided applications only)."""
    if record.status not in (
        ApplicationStatus.APPROVED, ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED
    ):
        return None
    from madoguchi.notices.service import notice_view

    return notice_view(record.reference_number)


def _payment_view(record: ApplicationRecord) -> dict[str, Any] | None:
    # Imported here: the payments package imports this module's neighbours.
    from madoguchi.payments.views import payment_view

    return payment_view(record)
