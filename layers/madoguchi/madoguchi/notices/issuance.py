"""Issue the notice of a decision: render the PDF, sign it when a key is configured,
store it and record it.

Only IssueNoticeFunction imports this module. WeasyPrint (render) and pyHanko
(signing) are installed in that function's container image, not in the zip layers.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from madoguchi.applications import repository as applications
from madoguchi.applications import storage
from madoguchi.applications.models import ApplicationRecord
from madoguchi.applications.status import ApplicationStatus
from madoguchi.notices import codes, render
from madoguchi.notices import repository as notices
from madoguchi.notices.models import NoticeKind, NoticeRecord
from madoguchi.notices.settings import get_notice_settings
from madoguchi.procedures import get_procedure
from madoguchi.procedures.models import ProcedureDefinition
from madoguchi.settings import get_settings

logger = Logger(child=True)

# Field ids that hold the applicant's name, in the order they are tried.
_NAME_FIELDS = ("full_name", "name", "applicant_name")


class NoticeNotDecided(Exception):
    """The application is neither approved nor rejected, so no notice can be issued."""


def notice_kind(definition: ProcedureDefinition, decision: str) -> NoticeKind:
    return "rejection" if decision == "rejected" else definition.notice.kind


def notice_titles(definition: ProcedureDefinition, decision: str) -> tuple[str, str]:
    """Return the Japanese and English titles: the definition's notice title when
    approved, 不許可通知 or 不受理通知 when rejected."""
    if decision != "rejected":
        return definition.notice.title.ja, definition.notice.title.get("en")
    if definition.notice.kind == "acceptance":
        return (
            f"{definition.title.ja} 不受理通知",
            f"Notice of non-acceptance: {definition.title.get('en')}",
        )
    return f"{definition.title.ja} 不許可通知", f"Notice of refusal: {definition.title.get('en')}"


def applicant_name(definition: ProcedureDefinition, answers: dict[str, Any]) -> str:
    """Return the applicant's name exactly as typed (variant characters and variation
    selectors included): the first text field with ``autocomplete: name``, else a
    field named like a name."""
    for field in definition.fields:
        if getattr(field, "autocomplete", None) == "name" and isinstance(answers.get(field.id), str):
            return answers[field.id]
    for field_id in _NAME_FIELDS:
        if isinstance(answers.get(field_id), str):
            return answers[field_id]
    return ""


def _decision_entry(record: ApplicationRecord, decision: str) -> tuple[datetime, str | None]:
    """Return when the decision was recorded and the approver's comment (the reason of a
    rejection)."""
    for entry in reversed(record.history):
        if entry.event == decision:
            return entry.at, entry.comment
    return record.updated_at, None


def issue_notice(reference_number: str, now: datetime | None = None) -> NoticeRecord:
    """Render, sign (when configured), store and record the notice of a decided application.

    Idempotent: a repeated call returns the notice already issued, so a Step Functions
    retry cannot issue a second one.

    Raises:
        NoticeNotDecided: the application is not approved, completed or rejected.
        SigningKeyInvalid: a signing key is configured but cannot be used.
    """
    existing = notices.get_notice_of_application(reference_number)
    if existing is not None:
        return existing

    now = now or datetime.now(UTC)
    record = applications.get_application(reference_number)
    if record.status in (ApplicationStatus.APPROVED, ApplicationStatus.COMPLETED):
        decision = "approved"
    elif record.status is ApplicationStatus.REJECTED:
        decision = "rejected"
    else:
        raise NoticeNotDecided(f"{reference_number} is {record.status}")

    definition = get_procedure(record.procedure_id)
    answers = storage.load_answers(record.answers_key)["answers"]
    decided_at, comment = _decision_entry(record, decision)
    title_ja, title_en = notice_titles(definition, decision)
    code = codes.new_verification_code()
    key = notices.notice_object_key(definition.id, reference_number, code)
    draft = NoticeRecord(
        verification_code=code,
        reference_number=reference_number,
        procedure_id=definition.id,
        kind=notice_kind(definition, decision),
        decision=decision,
        title_ja=title_ja,
        title_en=title_en,
        procedure_title_ja=definition.title.ja,
        procedure_title_en=definition.title.get("en"),
        applicant_name=applicant_name(definition, answers),
        department_ja=definition.department.name.ja,
        department_en=definition.department.name.get("en"),
        decided_at=decided_at,
        issued_at=now,
        object_key=key,
        file_name=f"{title_ja}_{reference_number}.pdf",
        size=0,
        sha256="",
        signed=False,
    )

    verify_url = render.verification_url(get_settings().public_base_url, code)
    reason = comment if decision == "rejected" else None
    pdf = render.render_pdf(draft, record.created_at, verify_url, reason)
    settings = get_notice_settings()
    if settings.notice_signing_secret_arn:
        from madoguchi.notices.signing import sign_pdf

        pdf = sign_pdf(
            pdf,
            settings.notice_signing_secret_arn,
            reason=title_ja,
            location=settings.notice_signing_location or definition.department.name.ja,
        )
    notice = draft.model_copy(
        update={
            "size": len(pdf),
            "sha256": hashlib.sha256(pdf).hexdigest(),
            "signed": bool(settings.notice_signing_secret_arn),
        }
    )

    # The PDF goes first: a failure between the two writes leaves an unreferenced
    # object, never a record whose PDF is missing.
    notices.save_pdf(key, pdf)
    try:
        notices.save_notice(notice)
    except notices.NoticeAlreadyIssued:
        # A concurrent run won; its notice is the one.
        winner = notices.get_notice_of_application(reference_number)
        if winner is None:
            raise
        return winner
    logger.info(
        "notice issued",
        extra={"reference_number": reference_number, "kind": notice.kind, "signed": notice.signed},
    )
    return notice
