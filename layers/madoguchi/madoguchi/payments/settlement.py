"""Apply a checkout session's outcome to the stored payment and resume the workflow.

Webhooks and reconciliation both end here, so a payment found by either takes
the same path: the conditional state write, the amount check, exactly one
resume of the waiting workflow task, and a refund when the application has
closed meanwhile.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger

from madoguchi.applications import repository as applications
from madoguchi.applications.models import HistoryEntry
from madoguchi.applications.status import ApplicationStatus
from madoguchi.payments import gateway, refunds
from madoguchi.payments import repository as payments
from madoguchi.payments.models import PaymentRecord, PaymentState
from madoguchi.workflow import TaskAlreadyClosed, resume_task

logger = Logger(child=True)

CLOSED_STATUSES = frozenset(
    {ApplicationStatus.EXPIRED, ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED}
)


class Outcome(StrEnum):
    """What applying a session outcome did; webhook logs and metrics use these values."""

    APPLIED = "applied"
    STALE = "stale"  # an equal or newer state was already stored
    UNKNOWN_SESSION = "unknown_session"
    FLAGGED = "flagged"
    RESUMED = "resumed"
    REFUNDED_AFTER_CLOSE = "refunded_after_close"


def session_state(session: dict[str, Any], event_type: str) -> PaymentState | None:
    """Derive the payment state from a checkout session event type and the session object.

    ``checkout.session.completed`` means paid for cards, but only "voucher issued" for
    konbini (``payment_status`` is ``unpaid`` until the cash arrives).
    """
    if event_type == "checkout.session.async_payment_succeeded":
        return PaymentState.PAID
    if event_type == "checkout.session.async_payment_failed":
        return PaymentState.FAILED
    if event_type == "checkout.session.expired":
        return PaymentState.EXPIRED
    if event_type == "checkout.session.completed":
        status = session.get("payment_status")
        if status == "paid":
            return PaymentState.PAID
        if status == "unpaid":
            return PaymentState.PROCESSING
    return None


def apply_session_outcome(
    reference_number: str,
    session: dict[str, Any],
    state: PaymentState,
    event_created: int,
    now: datetime | None = None,
    answers_version: int = 1,
) -> Outcome:
    """Store ``state`` for the session and, once paid, resume the workflow or refund.

    ``answers_version`` names the payment (the workflow run that opened the session).
    The amount check compares with that payment's amount, which after a correction
    is the difference, not the whole fee.

    Raises:
        gateway.PaymentProviderError: a Stripe call failed; the caller retries.
    """
    now = now or datetime.now(UTC)
    payment = payments.get_payment(reference_number, answers_version)
    if payment is None or payment.session_id != session.get("id"):
        return Outcome.UNKNOWN_SESSION

    updates: dict[str, Any] = {}
    if state == PaymentState.PAID:
        updates = _paid_fields(session, now)
        if updates["amount_received"] != payment.amount or updates["currency_received"] != payment.currency:
            state = PaymentState.FLAGGED
            updates["flagged_reason"] = "amount_mismatch"

    try:
        payments.advance_state(
            reference_number, payment.session_id, state, event_created, now,
            answers_version=answers_version, **updates,
        )
    except payments.StaleUpdate:
        # A redelivered paid event still resumes the workflow if an earlier attempt
        # stored the payment but failed before resuming.
        if state == PaymentState.PAID:
            return resume_or_refund(reference_number, now, answers_version) or Outcome.STALE
        return Outcome.STALE

    if state == PaymentState.FLAGGED:
        logger.warning(
            "payment amount or currency does not match the fee; flagged for staff",
            extra={"reference_number": reference_number, "answers_version": answers_version,
                   "expected_amount": payment.amount,
                   "received_amount": updates["amount_received"],
                   "received_currency": updates["currency_received"]},
        )
        return Outcome.FLAGGED
    if state == PaymentState.PAID:
        if updates.get("payment_intent_id"):
            payments.save_payment_intent(updates["payment_intent_id"], reference_number, answers_version)
        return resume_or_refund(reference_number, now, answers_version) or Outcome.APPLIED
    return Outcome.APPLIED


def _paid_fields(session: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Return what a paid session adds to the payment: amount, intent, method."""
    intent = session.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    method = _payment_method_type(session)
    if method is None:
        # Webhook payloads do not expand the intent; ask Stripe which method paid.
        expanded = gateway.retrieve_checkout_session(
            session["id"], expand=["payment_intent.payment_method"]
        ).to_dict()
        method = _payment_method_type(expanded)
    fields: dict[str, Any] = {
        "amount_received": int(session.get("amount_total") or 0),
        "currency_received": str(session.get("currency") or "").lower(),
        "paid_at": now.isoformat(),
        "method": method or "unknown",
    }
    if intent_id:
        fields["payment_intent_id"] = intent_id
    return fields


def _payment_method_type(session: dict[str, Any]) -> str | None:
    intent = session.get("payment_intent")
    if not isinstance(intent, dict):
        return None
    method = intent.get("payment_method")
    return method.get("type") if isinstance(method, dict) else None


def resume_or_refund(reference_number: str, now: datetime, answers_version: int = 1) -> Outcome | None:
    """Resume the waiting workflow once for a paid payment, or refund it if the application closed.

    Returns None when another request already did it.
    """
    try:
        payments.claim_once(reference_number, "resumed_at", PaymentState.PAID, now, answers_version)
    except payments.AlreadyClaimed:
        return None

    payment = payments.get_payment(reference_number, answers_version)
    application = applications.get_application(reference_number)
    try:
        if application.status in CLOSED_STATUSES:
            return _refund_after_close(payment, application.status.value)
        if application.status != ApplicationStatus.AWAITING_PAYMENT or not payment or not payment.task_token:
            # The workflow has not reached the payment task yet; that task sees the
            # paid state and resumes itself, so the claim is released for it.
            payments.release_claim(reference_number, "resumed_at", answers_version)
            return None
        _append_payment_history(reference_number, now, payment)
        try:
            resume_task(payment.task_token, {"payment_state": PaymentState.PAID.value})
        except TaskAlreadyClosed:
            # The payment task timed out (or the run stopped) before the money arrived.
            return _refund_after_close(payment, "workflow_closed")
    except Exception:
        payments.release_claim(reference_number, "resumed_at", answers_version)
        raise
    logger.info("workflow resumed after payment", extra={"reference_number": reference_number})
    return Outcome.RESUMED


def _append_payment_history(reference_number: str, now: datetime, payment: PaymentRecord) -> None:
    """Record the confirmed payment with its amount; a difference after a correction is named as such."""
    entry = HistoryEntry(
        at=now,
        event="payment_received",
        status=ApplicationStatus.AWAITING_PAYMENT,
        actor="stripe",
        amount=payment.amount,
        answers_version=payment.answers_version,
    )
    try:
        applications.append_history(reference_number, entry, ApplicationStatus.AWAITING_PAYMENT)
    except applications.InvalidTransition:
        logger.info("payment history not added: application moved on", extra={"reference_number": reference_number})


def _refund_after_close(payment: PaymentRecord | None, reason: str) -> Outcome:
    assert payment is not None
    logger.warning(
        "payment arrived after the application closed; refunding",
        extra={"reference_number": payment.reference_number, "reason": reason},
    )
    payments.set_fields(
        payment.reference_number, datetime.now(UTC), answers_version=payment.answers_version,
        flagged_reason="paid_after_close",
    )
    refunds.refund_payment(payment.reference_number, reason="paid_after_close", answers_version=payment.answers_version)
    return Outcome.REFUNDED_AFTER_CLOSE
