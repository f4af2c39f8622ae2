"""Refunds: each claimed once on its payment, with a Stripe idempotency key.

Policy:

- Withdrawal before any approver decided a step, and rejection where the procedure's
  fee is ``refundable``: every payment of the application is refunded, each for what
  it still keeps.
- Money that arrived after the application had closed: that payment in full.
- A correction that lowered the fee: the difference, as partial refunds on the
  newest payments first. ``refundable: false`` does not stop this refund, because it
  concerns the fee of an application the office has decided. The difference exists
  only because the office returned the application and the corrected one costs less,
  so keeping it would charge the resident more than the procedure's fee. The same
  applies after a withdrawal or rejection that refunds nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from madoguchi.applications import repository as applications
from madoguchi.applications.models import HistoryEntry
from madoguchi.applications.status import ApplicationStatus
from madoguchi.approvals.eligibility import ELIGIBILITY
from madoguchi.payments import gateway
from madoguchi.payments import repository as payments
from madoguchi.payments.balance import allocate_refund, fee_balance, kept_amount
from madoguchi.payments.models import PaymentRecord, PaymentState
from madoguchi.procedures import get_procedure
from madoguchi.settings import get_settings

logger = Logger(child=True)

# History events that mean an approver has already reviewed the application.
_REVIEW_DECISIONS = frozenset(
    {"step_approved", "step_role_approved", "approved", "rejected", "returned"}
)
# Attempts to read a payment and claim its refund before a refunded amount that keeps
# changing raises RefundConflict.
_CLAIM_ATTEMPTS = 3
_FULL_REFUND_CLAIM = "refund_requested_at"


class RefundNotAllowed(Exception):
    """The application or its payment is not in a state that the refund policy covers."""


def refund_payment(
    reference_number: str, reason: str, now: datetime | None = None, answers_version: int = 1
) -> str | None:
    """Refund what one payment still keeps and return the Stripe refund id, or None when already requested.

    Raises:
        RefundNotAllowed: the payment is not paid, or nothing of it is left to refund.
        gateway.PaymentProviderError: Stripe rejected the refund; a retry may claim it again.
        payments.RefundConflict: the payment's refunded amount kept changing while claiming.
    """
    now = now or datetime.now(UTC)
    for _attempt in range(_CLAIM_ATTEMPTS):
        payment = payments.get_payment(reference_number, answers_version)
        if payment is None or payment.state != PaymentState.PAID or not payment.payment_intent_id:
            raise RefundNotAllowed(f"{reference_number} has no paid fee to refund")
        amount = kept_amount(payment)
        if amount <= 0:
            raise RefundNotAllowed(f"{reference_number}: the payment of version {answers_version} is refunded")
        try:
            payments.claim_refund(payment, _FULL_REFUND_CLAIM, amount, now)
        except payments.AlreadyClaimed:
            logger.info("refund already requested", extra={"reference_number": reference_number})
            return None
        except payments.RefundConflict:
            continue
        # A retry after a failed request sends the same amount under the same key. A
        # payment that was partly refunded before gets a key that names that amount.
        key = f"refund-{reference_number}-{payment.payment_intent_id}"
        if payment.refunded_amount:
            key += f"-after-{payment.refunded_amount}"
        return _send_refund(payment, amount, _FULL_REFUND_CLAIM, key, reason, now)
    raise payments.RefundConflict(reference_number)


def refund_all_payments(reference_number: str, reason: str, now: datetime | None = None) -> list[str]:
    """Refund every payment of an application for what it still keeps; return the new refund ids.

    Raises:
        RefundNotAllowed: no payment keeps any money.
        gateway.PaymentProviderError: Stripe rejected a refund; refunds requested before
            it stay requested.
    """
    now = now or datetime.now(UTC)
    refundable = [p for p in payments.list_payments(reference_number) if kept_amount(p) > 0]
    if not refundable:
        raise RefundNotAllowed(f"{reference_number} has no paid fee to refund")
    refund_ids = []
    for payment in refundable:
        try:
            refund_id = refund_payment(reference_number, reason, now, payment.answers_version)
        except RefundNotAllowed:
            # Refunded by a concurrent request between the listing and the claim.
            continue
        if refund_id:
            refund_ids.append(refund_id)
    return refund_ids


def refund_overpayment(reference_number: str, now: datetime | None = None) -> list[str]:
    """Refund what the payments keep beyond the application's current fee; return the new refund ids.

    Claimed once per payment and answers version (``refund_v<n>_requested_at``,
    Stripe key ``refund-<ref>-<intent>-v<n>``), so a repeated call, a retried workflow
    task or a concurrent withdrawal refunds the difference once.

    Raises:
        gateway.PaymentProviderError: Stripe rejected a refund; a retry claims it again.
        payments.RefundConflict: the refunded amounts kept changing while claiming.
    """
    now = now or datetime.now(UTC)
    refund_ids: list[str] = []
    refunded = 0
    for _attempt in range(_CLAIM_ATTEMPTS):
        record = applications.get_application(reference_number)
        listed = payments.list_payments(reference_number)
        overpaid = fee_balance(record.fee_amount, listed).overpaid
        if overpaid == 0:
            break
        attribute = f"refund_v{record.answers_version}_requested_at"
        refundable = [payment for payment in listed if payment.payment_intent_id]
        try:
            for payment, amount in allocate_refund(refundable, overpaid):
                try:
                    payments.claim_refund(payment, attribute, amount, now)
                except payments.AlreadyClaimed:
                    continue
                key = f"refund-{reference_number}-{payment.payment_intent_id}-v{record.answers_version}"
                refund_ids.append(_send_refund(payment, amount, attribute, key, "fee_lowered", now))
                refunded += amount
        except payments.RefundConflict:
            continue
        break
    else:
        raise payments.RefundConflict(reference_number)
    if refunded:
        _record_overpayment_refund(reference_number, refunded, now)
    return refund_ids


def _send_refund(
    payment: PaymentRecord, amount: int, claim: str, idempotency_key: str, reason: str, now: datetime
) -> str:
    """Request a claimed refund at Stripe; release the claim if Stripe rejects it."""
    reference_number = payment.reference_number
    try:
        # NOTE: Stripe refunds konbini payments by asking the customer for a bank
        # account; this code only sees the refund's status, not that exchange.
        refund = gateway.create_refund(
            payment.payment_intent_id,
            amount,
            {"reference_number": reference_number, "reason": reason, "environment": get_settings().stage},
            idempotency_key=idempotency_key,
        )
    except gateway.PaymentProviderError:
        payments.release_refund(payment, claim, amount)
        raise

    version = payment.answers_version
    payments.set_fields(reference_number, now, answers_version=version, refund_id=refund.id, refund_reason=reason)
    received = payment.amount_received if payment.amount_received is not None else payment.amount
    if refund.status == "succeeded" and payment.refunded_amount + amount >= received:
        try:
            payments.advance_state(
                reference_number, payment.session_id, PaymentState.REFUNDED, int(refund.created), now,
                answers_version=version, refunded_at=now.isoformat(),
            )
        except payments.StaleUpdate:
            pass
    logger.info("refund requested", extra={"reference_number": reference_number, "reason": reason,
                                            "answers_version": version, "amount": amount,
                                            "refund_status": refund.status})
    return str(refund.id)


def _record_overpayment_refund(reference_number: str, amount: int, now: datetime) -> None:
    """Append the history entry that shows the resident that the difference is being refunded."""
    status = applications.get_application(reference_number).status
    entry = HistoryEntry(at=now, event="fee_difference_refunded", status=status, actor="workflow", amount=amount)
    try:
        applications.append_history(reference_number, entry, status)
    except applications.InvalidTransition:
        logger.info("refund history not added: application moved on", extra={"reference_number": reference_number})


def refund_on_withdrawal(reference_number: str) -> list[str]:
    """Refund the fee of a withdrawn application that no approver had decided on yet.

    After a review decision only an overpayment left by a correction is refunded.

    Raises:
        RefundNotAllowed: the application is not withdrawn, or was already reviewed and
            keeps no overpayment, or has no paid fee.
    """
    record = applications.get_application(reference_number)
    if record.status != ApplicationStatus.WITHDRAWN:
        raise RefundNotAllowed(f"{reference_number} is {record.status}, not withdrawn")
    # A return from the eligibility review came before any fee was requested, so it
    # does not keep the payments made after the correction.
    if any(
        entry.event in _REVIEW_DECISIONS and entry.step_id != ELIGIBILITY for entry in record.history
    ):
        refund_ids = refund_overpayment(reference_number)
        if refund_ids:
            return refund_ids
        raise RefundNotAllowed(f"{reference_number} was withdrawn after review began")
    return refund_all_payments(reference_number, reason="withdrawn")


def refund_on_rejection(reference_number: str) -> list[str]:
    """Refund the fee of a rejected application when its procedure's fee is refundable.

    Returns the new refund ids: empty when the policy gives no refund or the refunds
    were already requested. A fee that is not refundable still gives back an
    overpayment left by a correction.
    """
    record = applications.get_application(reference_number)
    if record.status != ApplicationStatus.REJECTED:
        return []
    definition = get_procedure(record.procedure_id)
    if definition.fee is None or not definition.fee.refundable:
        return refund_overpayment(reference_number)
    try:
        return refund_all_payments(reference_number, reason="rejected")
    except RefundNotAllowed:
        return []
