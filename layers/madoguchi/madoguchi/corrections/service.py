"""Resubmission after a return for correction, withdrawal, and the resident's current answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.applications import repository, storage
from madoguchi.applications.models import ApplicationRecord, HistoryEntry
from madoguchi.applications.service import check_answers, get_application_for_applicant
from madoguchi.applications.status import ApplicationStatus
from madoguchi.attachments.service import attach_uploads
from madoguchi.procedures import get_procedure
from madoguchi.settings import get_settings
from madoguchi.workflow import start_application_workflow, stop_application_workflow

logger = Logger(child=True)


class NotReturned(Exception):
    """Only an application returned for correction can be resubmitted; ``status`` is its status."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class WithdrawalNotAllowed(Exception):
    """The application is already decided, completed, withdrawn or expired."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class VersionConflict(Exception):
    """Another resubmission stored the same answers version first."""


def current_answers(reference_number: str, token: str | None) -> dict[str, Any]:
    """Return the applicant's current answers and their version, to prefill a correction.

    Raises:
        ApplicationAccessDenied: unknown number or wrong token.
    """
    record = get_application_for_applicant(reference_number, token)
    document = storage.load_answers(record.answers_key)
    return {
        "reference_number": record.reference_number,
        "procedure_id": record.procedure_id,
        "status": record.status.value,
        "answers_version": record.answers_version,
        "answers": document["answers"],
        "return_comment": _return_comment(record),
    }


def _return_comment(record: ApplicationRecord) -> str | None:
    """Return the comment of the newest return for correction, or None without one."""
    for entry in reversed(record.history):
        if entry.event == "returned":
            return entry.comment
    return None


def check_resubmission(
    reference_number: str, token: str | None, answers: object, now: datetime | None = None
) -> dict[str, Any]:
    """Check corrected answers before the confirmation screen; nothing is stored.

    The same checks as the resubmission itself: files already attached to this
    application pass, and a closed application window does not apply.

    Raises:
        ApplicationAccessDenied: unknown number or wrong token.
        NotReturned: the application is not returned for correction.
        AnswersInvalid: the answers fail the checks of a submission.
    """
    record, definition, normalised = _checked_correction(reference_number, token, answers, now)
    return {
        "valid": True,
        "answers": normalised,
        "fee": _fee_preview(record.reference_number, definition.fee_amount(normalised)),
    }


def _checked_correction(
    reference_number: str, token: str | None, answers: object, now: datetime | None
) -> tuple[ApplicationRecord, Any, dict[str, Any]]:
    """Return the returned application, its procedure and the corrected answers, checked.

    Raises the same errors as ``resubmit_application`` before anything is stored.
    """
    record = get_application_for_applicant(reference_number, token)
    if record.status != ApplicationStatus.RETURNED:
        raise NotReturned(record.status.value)
    definition = get_procedure(record.procedure_id)
    normalised = check_answers(
        definition, answers, now or datetime.now(UTC), resubmission_of=record.reference_number
    )
    return record, definition, normalised


def _fee_preview(reference_number: str, fee_amount: int) -> dict[str, Any]:
    """Return the corrected fee with what was paid, what is then due and what is refunded, in yen."""
    from madoguchi.payments.balance import fee_balance
    from madoguchi.payments.repository import list_payments

    balance = fee_balance(fee_amount, list_payments(reference_number))
    return {
        "amount": fee_amount,
        "currency": "JPY",
        "paid_amount": balance.kept_amount,
        "amount_due": balance.due,
        "refund_amount": balance.overpaid,
    }


def resubmit_application(
    reference_number: str, token: str | None, answers: object, now: datetime | None = None
) -> dict[str, Any]:
    """Validate corrected answers, store them as the next version and restart the workflow.

    Earlier versions stay in S3 unchanged: the new version is written only if its key
    does not exist yet. The new execution is named ``<reference>-v<n>``.

    The fee is computed again from the corrected answers. A changed fee is stored on
    the application and in the history entry. A lower fee gets the difference refunded
    here (the payment stage of the new run retries a failed refund), and a higher fee
    makes that stage ask for the difference only.

    Raises:
        ApplicationAccessDenied: unknown number or wrong token.
        NotReturned: the application is not returned for correction.
        AnswersInvalid: the answers fail the same checks as a submission.
        VersionConflict: a concurrent resubmission stored this version first.
    """
    now = now or datetime.now(UTC)
    record, definition, normalised = _checked_correction(reference_number, token, answers, now)

    version = record.answers_version + 1
    key = storage.answers_key(definition.id, record.reference_number, version)
    attach_uploads(definition, normalised, record.reference_number)
    _save_new_version(
        key,
        {
            "procedure_id": definition.id,
            "procedure_version": definition.version,
            "reference_number": record.reference_number,
            "answers_version": version,
            "answers": normalised,
            "submitted_at": now.isoformat(),
        },
    )
    # NOTE: the fee follows the procedure definition loaded now, so a correction made
    # after the definition's fee changed (a new fiscal year) is charged the new fee.
    fee_amount = definition.fee_amount(normalised)
    fee_changed = fee_amount != record.fee_amount
    entry = HistoryEntry(
        at=now,
        event="resubmitted",
        status=ApplicationStatus.SUBMITTED,
        actor="applicant",
        answers_version=version,
        previous_fee_amount=record.fee_amount if fee_changed else None,
        fee_amount=fee_amount if fee_changed else None,
    )
    try:
        updated = repository.transition_application(
            record.reference_number, ApplicationStatus.SUBMITTED, entry,
            answers_version=version, answers_key=key, fee_amount=fee_amount,
        )
    except repository.InvalidTransition:
        # Withdrawn between the check above and this write; the stored version stays unused.
        raise NotReturned(repository.get_application(record.reference_number).status.value) from None

    if fee_amount < record.fee_amount:
        _refund_overpayment(record.reference_number)
    start_application_workflow(
        record.reference_number,
        {"reference_number": record.reference_number, "procedure_id": definition.id, "step_index": 0},
        answers_version=version,
    )
    logger.info("application resubmitted",
                extra={"reference_number": record.reference_number, "answers_version": version,
                       "previous_fee_amount": record.fee_amount, "fee_amount": fee_amount})
    return {
        "reference_number": updated.reference_number,
        "status": updated.status.value,
        "answers_version": version,
        "fee_amount": fee_amount,
        "previous_fee_amount": record.fee_amount,
        "resubmitted_at": now.isoformat(),
    }


def _refund_overpayment(reference_number: str) -> None:
    """Refund what the payments keep beyond the lowered fee; a failure is logged for the workflow to retry."""
    from madoguchi.payments.gateway import PaymentProviderError
    from madoguchi.payments.refunds import refund_overpayment
    from madoguchi.payments.repository import RefundConflict

    try:
        refund_overpayment(reference_number)
    except (PaymentProviderError, RefundConflict):
        logger.exception("refund of the fee difference failed; the payment stage retries it",
                         extra={"reference_number": reference_number})


def _save_new_version(key: str, document: dict[str, Any]) -> None:
    """Store an answers version unless the key exists (S3 conditional write, If-None-Match)."""
    import json

    settings = get_settings()
    try:
        aws.client("s3").put_object(
            Bucket=settings.answers_bucket,
            Key=key,
            Body=json.dumps(document, ensure_ascii=False).encode("utf-8"),
            ContentType="application/json; charset=utf-8",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=settings.answers_kms_key_id,
            IfNoneMatch="*",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise VersionConflict(key) from exc
        raise


def withdraw_application(
    reference_number: str, token: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """Withdraw an application before its decision (取下げ).

    Steps: the conditional transition to ``withdrawn`` (which fails once decided),
    stopping the workflow, closing pending approval links, the refund that the
    refund policy allows, and an e-mail to the resident.

    Raises:
        ApplicationAccessDenied: unknown number or wrong token.
        WithdrawalNotAllowed: the application is already decided or closed.
    """
    now = now or datetime.now(UTC)
    record = get_application_for_applicant(reference_number, token)
    entry = HistoryEntry(
        at=now,
        event="withdrawn",
        status=ApplicationStatus.WITHDRAWN,
        actor="applicant",
        answers_version=record.answers_version,
    )
    try:
        withdrawn = repository.transition_application(record.reference_number, ApplicationStatus.WITHDRAWN, entry)
    except repository.InvalidTransition:
        current = repository.get_application(record.reference_number)
        raise WithdrawalNotAllowed(current.status.value) from None

    stopped = stop_application_workflow(
        record.reference_number, record.answers_version, cause="withdrawn by the applicant"
    )
    closed_links = close_pending_links(record.reference_number, record.answers_version, now)
    refund_ids = _refund_if_allowed(record.reference_number)
    _notify_withdrawn(withdrawn)
    logger.info(
        "application withdrawn",
        extra={
            "reference_number": record.reference_number,
            "workflow_stopped": stopped,
            "closed_links": closed_links,
            "refunded": bool(refund_ids),
        },
    )
    return {
        "reference_number": withdrawn.reference_number,
        "status": withdrawn.status.value,
        "withdrawn_at": now.isoformat(),
        "refund_requested": bool(refund_ids),
        "workflow_stopped": stopped,
    }


def close_pending_links(reference_number: str, answers_version: int, now: datetime) -> int:
    """Close every pending approval link of an answers version; return how many were closed."""
    from madoguchi.approvals.service import close_step_tasks

    response = aws.table(get_settings().table_name).query(
        KeyConditionExpression=Key("PK").eq(f"APPLICATION#{reference_number}")
        & Key("SK").begins_with(f"APPROVAL_STEP#v{answers_version}#"),
        ConsistentRead=True,
    )
    return sum(close_step_tasks(item, "withdrawn", now) for item in response["Items"])


def _refund_if_allowed(reference_number: str) -> list[str]:
    """Request the refunds the policy allows and return their ids; a refused or failed refund is logged."""
    from madoguchi.payments.gateway import PaymentProviderError
    from madoguchi.payments.refunds import RefundNotAllowed, refund_on_withdrawal
    from madoguchi.payments.repository import RefundConflict

    try:
        return refund_on_withdrawal(reference_number)
    except RefundNotAllowed as exc:
        logger.info("no refund on withdrawal", extra={"reference_number": reference_number, "reason": str(exc)})
    except (PaymentProviderError, RefundConflict):
        # NOTE: a failed refund is not retried automatically; the log line is the only trace.
        logger.exception("refund on withdrawal failed", extra={"reference_number": reference_number})
    return []


def _notify_withdrawn(record: ApplicationRecord) -> None:
    from madoguchi.applications.notify import status_url
    from madoguchi.notifications import render_email, send_email

    if not record.applicant_email:
        return
    definition = get_procedure(record.procedure_id)
    locale = record.locale
    message = render_email(
        "application_withdrawn",
        locale,
        [record.applicant_email],
        procedure_title=definition.title.get(locale),
        reference_number=record.reference_number,
        status_url=status_url(record.reference_number),
        department_name=definition.department.name.get(locale),
        department_phone=definition.department.phone,
        department_hours=definition.department.hours.get(locale),
        department_email=definition.department.email,
    )
    send_email(message, purpose="applicant_withdrawn")
