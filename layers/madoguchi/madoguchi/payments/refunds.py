"""Refunds: once per payment, with a Stripe idempotency key.

Policy: the fee is refunded in full when the application is withdrawn before any
approver decided a step, when it is rejected and the procedure's fee is
``refundable``, and when the money arrived after the application had closed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from madoguchi.applications import repository as applications
from madoguchi.applications.status import ApplicationStatus
from madoguchi.payments import gateway
from madoguchi.payments import repository as payments
from madoguchi.payments.models import PaymentState
from madoguchi.procedures import get_procedure
from madoguchi.settings import get_settings

logger = Logger(child=True)

# History events that mean an approver has already reviewed the application.
_REVIEW_DECISIONS = frozenset(
    {"step_approved", "step_role_approved", "approved", "rejected", "returned"}
)


class RefundNotAllowed(Exception):
    """The application or its payment is not in a state that the refund policy covers."""


def refund_payment(reference_number: str, reason: str, now: datetime | None = None) -> str | None:
    """Refund a paid fee in full and return the Stripe refund id; None when already requested.

    Raises:
        RefundNotAllowed: the application has no paid payment.
        gateway.PaymentProviderError: Stripe rejected the refund; a retry may claim it again.
    """
    now = now or datetime.now(UTC)
    payment = payments.get_payment(reference_number)
    if payment is None or payment.state != PaymentState.PAID or not payment.payment_intent_id:
        raise RefundNotAllowed(f"{reference_number} has no paid fee to refund")
    try:
        payments.claim_once(reference_number, "refund_requested_at", PaymentState.PAID, now)
    except payments.AlreadyClaimed:
        logger.info("refund already requested", extra={"reference_number": reference_number})
        return None

    try:
        # NOTE: Stripe refunds konbini payments by asking the customer for a bank
        # account; this code only sees the refund's status, not that exchange.
        refund = gateway.create_refund(
            payment.payment_intent_id,
            payment.amount_received or payment.amount,
            {"reference_number": reference_number, "reason": reason, "environment": get_settings().stage},
            idempotency_key=f"refund-{reference_number}-{payment.payment_intent_id}",
        )
    except gateway.PaymentProviderError:
        payments.release_claim(reference_number, "refund_requested_at")
        raise

    payments.set_fields(reference_number, now, refund_id=refund.id, refund_reason=reason)
    if refund.status == "succeeded":
        try:
            payments.advance_state(
                reference_number, payment.session_id, PaymentState.REFUNDED, int(refund.created), now,
                refunded_at=now.isoformat(),
            )
        except payments.StaleUpdate:
            pass
    logger.info("refund requested", extra={"reference_number": reference_number, "reason": reason,
                                            "refund_status": refund.status})
    return refund.id


def refund_on_withdrawal(reference_number: str) -> str | None:
    """Refund the fee of a withdrawn application that no approver had decided on yet.

    Raises:
        RefundNotAllowed: the application is not withdrawn, was already reviewed, or has
            no paid fee.
    """
    record = applications.get_application(reference_number)
    if record.status != ApplicationStatus.WITHDRAWN:
        raise RefundNotAllowed(f"{reference_number} is {record.status}, not withdrawn")
    if any(entry.event in _REVIEW_DECISIONS for entry in record.history):
        raise RefundNotAllowed(f"{reference_number} was withdrawn after review began")
    return refund_payment(reference_number, reason="withdrawn")


def refund_on_rejection(reference_number: str) -> str | None:
    """Refund the fee of a rejected application when its procedure's fee is refundable.

    Returns None when the policy gives no refund or the refund was already requested.
    """
    record = applications.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    if record.status != ApplicationStatus.REJECTED or definition.fee is None or not definition.fee.refundable:
        return None
    payment = payments.get_payment(reference_number)
    if payment is None or payment.state != PaymentState.PAID:
        return None
    return refund_payment(reference_number, reason="rejected")
