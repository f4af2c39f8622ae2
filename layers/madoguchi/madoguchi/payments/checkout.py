"""Workflow tasks of the payment stage: plan, request (create the checkout session), expire.

Every workflow run requests what the application's payments do not cover yet: the
whole fee in the first run, and after a correction only the difference, in a
payment of that answers version. A correction that lowered the fee gets the
difference refunded in the plan task instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from madoguchi.applications import repository as applications
from madoguchi.applications.lifecycle import record_status
from madoguchi.applications.models import ApplicationRecord
from madoguchi.applications.status import ApplicationStatus
from madoguchi.i18n import translate
from madoguchi.payments import gateway, refunds, settlement
from madoguchi.payments import repository as payments
from madoguchi.payments.balance import fee_balance
from madoguchi.payments.models import STATE_RANK, UNPAID_STATES, PaymentRecord, PaymentState
from madoguchi.procedures import get_procedure
from madoguchi.procedures.models import TOKYO
from madoguchi.settings import get_settings
from madoguchi.workflow import resume_task

logger = Logger(child=True)

CURRENCY = "jpy"
# Stripe accepts a Checkout Session expiry between 30 minutes and 24 hours ahead.
SESSION_MIN_LIFETIME = timedelta(minutes=30)
SESSION_MAX_LIFETIME = timedelta(hours=24)
KONBINI_VOUCHER_DAYS = 3


def plan_payment(reference_number: str) -> dict[str, Any]:
    """Return whether money is due and how long the workflow waits for it, in seconds.

    A correction that lowered the fee below what was paid gets the difference
    refunded here, once. The resubmission already tried; this retries it.

    Raises:
        gateway.PaymentProviderError: Stripe rejected the refund; the task is retried.
    """
    # NOTE: PaymentStage retries PaymentProviderError three times and has no Catch, so
    # a refund that keeps failing fails the run and leaves the application submitted.
    refunds.refund_overpayment(reference_number)
    record = applications.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    hours = definition.fee.payment_timeout_hours if definition.fee else 0
    timeout = get_settings().payment_timeout_seconds or hours * 3600
    due = fee_balance(record.fee_amount, payments.list_payments(reference_number)).due
    return {"due": due > 0, "timeout_seconds": max(int(timeout), 1)}


def request_payment(reference_number: str, task_token: str, now: datetime | None = None) -> dict[str, Any]:
    """Create the checkout session for what is due, store the task token and set ``awaiting_payment``.

    A retried task (same answers version) reuses an unexpired session and stores the
    new token. If nothing is due any more, it resumes the workflow at once.
    """
    now = now or datetime.now(UTC)
    record = applications.get_application(reference_number)
    version = record.answers_version
    existing = payments.get_payment(reference_number, version)
    due = fee_balance(record.fee_amount, payments.list_payments(reference_number)).due

    if due == 0:
        resume_task(task_token, {"payment_state": PaymentState.PAID.value})
        return {"session_id": existing.session_id if existing else None, "state": PaymentState.PAID.value}
    if existing is not None and existing.state in UNPAID_STATES and existing.session_expires_at > now:
        payments.update_task_token(reference_number, existing.session_id, task_token, now, version)
        payment = existing
    else:
        replaces = existing.session_id if existing else None
        payment = open_checkout_session(record, now, task_token, replaces=replaces, amount=due)

    record_status(reference_number, ApplicationStatus.AWAITING_PAYMENT.value, "payment_requested", now=now)
    _notify_payment_requested(record, payment.amount, now + _timeout(get_procedure(record.procedure_id)))

    # A payment settled between storing the session and the status change above found
    # no waiting task and left the resume to this task.
    latest = payments.get_payment(reference_number, version)
    if latest is not None and latest.state == PaymentState.PAID:
        settlement.resume_or_refund(reference_number, now, version)
    return {"session_id": payment.session_id, "state": payment.state.value}


def open_checkout_session(
    record: ApplicationRecord,
    now: datetime,
    task_token: str | None,
    replaces: str | None = None,
    amount: int | None = None,
) -> PaymentRecord:
    """Create a Stripe Checkout Session and store it as the payment of the record's answers version.

    ``amount`` is what is due in yen; None means the whole fee. A session for less
    than the fee is the difference after a correction and says so in its line item.
    """
    settings = get_settings()
    definition = get_procedure(record.procedure_id)
    reference_number = record.reference_number
    amount = record.fee_amount if amount is None else amount
    line_item_key = "payments.line_item" if amount == record.fee_amount else "payments.line_item_difference"
    lifetime = min(max(_timeout(definition), SESSION_MIN_LIFETIME), SESSION_MAX_LIFETIME)
    expires_at = now + lifetime
    metadata = {
        "reference_number": reference_number,
        "procedure_id": record.procedure_id,
        "environment": settings.stage,
    }
    locale = "en" if record.locale == "en" else "ja"
    params = {
        "mode": "payment",
        "locale": locale,
        "payment_method_types": ["card", "konbini"],
        "payment_method_options": {"konbini": {"expires_after_days": KONBINI_VOUCHER_DAYS}},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": CURRENCY,
                    # JPY is a zero-decimal currency: 10400 means ¥10,400.
                    "unit_amount": amount,
                    "product_data": {
                        "name": translate(line_item_key, locale, title=definition.title.get(locale)),
                    },
                },
            }
        ],
        "client_reference_id": reference_number,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "expires_at": int(expires_at.timestamp()),
        # Stripe replaces {CHECKOUT_SESSION_ID}; the page reads the state from the table.
        "success_url": f"{settings.public_base_url}/payments/complete?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{settings.public_base_url}/payments/cancelled?reference={reference_number}",
    }
    # A retried task gets the same session back; a renewal names the session it
    # replaces, so it gets a new one. A later answers version has sessions of its own.
    version = "" if record.answers_version <= 1 else f"v{record.answers_version}-"
    idempotency_key = f"checkout-{reference_number}-{version}{replaces or 'first'}"
    session = gateway.create_checkout_session(params, idempotency_key)

    payment = PaymentRecord(
        reference_number=reference_number,
        procedure_id=record.procedure_id,
        answers_version=record.answers_version,
        state=PaymentState.PENDING,
        state_rank=STATE_RANK[PaymentState.PENDING],
        amount=amount,
        currency=CURRENCY,
        session_id=session.id,
        checkout_url=session.url,
        session_expires_at=datetime.fromtimestamp(session.expires_at, UTC),
        task_token=task_token,
        created_at=now,
        updated_at=now,
    )
    payments.save_new_payment(payment)
    logger.info("checkout session created", extra={"reference_number": reference_number, "session_id": session.id,
                                                    "answers_version": record.answers_version, "amount": amount})
    return payment


def renew_checkout_session(reference_number: str, now: datetime | None = None) -> PaymentRecord:
    """Open a new session when the previous one expired or failed while the workflow still waits.

    Raises:
        RenewalNotAllowed: the application is not awaiting payment, or the current
            session is still payable or already paid.
    """
    now = now or datetime.now(UTC)
    record = applications.get_application(reference_number)
    existing = payments.get_payment(reference_number, record.answers_version)
    if record.status != ApplicationStatus.AWAITING_PAYMENT or existing is None:
        raise RenewalNotAllowed(reference_number)
    payable = existing.state in (PaymentState.PENDING, PaymentState.PROCESSING) and existing.session_expires_at > now
    if payable or existing.state not in (*UNPAID_STATES, PaymentState.EXPIRED):
        raise RenewalNotAllowed(reference_number)
    due = fee_balance(record.fee_amount, payments.list_payments(reference_number)).due
    if due == 0:
        raise RenewalNotAllowed(reference_number)
    return open_checkout_session(record, now, existing.task_token, replaces=existing.session_id, amount=due)


class RenewalNotAllowed(Exception):
    """No new checkout session may be opened for this application now."""


def expire_payment(reference_number: str, now: datetime | None = None) -> dict[str, Any]:
    """Close the payment stage after its timeout: expire the session and the application."""
    now = now or datetime.now(UTC)
    version = applications.get_application(reference_number).answers_version
    payment = payments.get_payment(reference_number, version)
    if payment is not None and payment.state in UNPAID_STATES:
        try:
            gateway.expire_checkout_session(payment.session_id)
        except gateway.PaymentProviderError:
            # Already expired or completed at Stripe; a completed one is settled by its webhook.
            logger.info("checkout session not expired at Stripe", extra={"reference_number": reference_number})
        try:
            payments.advance_state(
                reference_number, payment.session_id, PaymentState.EXPIRED, int(now.timestamp()), now,
                answers_version=version,
            )
        except payments.StaleUpdate:
            pass

    record = applications.get_application(reference_number)
    comment = translate("payments.expired_comment", record.locale)
    try:
        updated = record_status(
            reference_number, ApplicationStatus.EXPIRED.value, "payment_expired",
            decision={"comment": comment}, now=now,
        )
    except applications.InvalidTransition:
        logger.info("application not expired: it already moved on", extra={"reference_number": reference_number})
        updated = record
    return {"status": updated.status.value}


def _timeout(definition: Any) -> timedelta:
    seconds = get_settings().payment_timeout_seconds
    if seconds:
        return timedelta(seconds=seconds)
    return timedelta(hours=definition.fee.payment_timeout_hours if definition.fee else 24)


def _notify_payment_requested(record: ApplicationRecord, amount: int, deadline: datetime) -> None:
    """Ask the resident to pay ``amount`` yen before ``deadline``, when the workflow stops waiting."""
    from madoguchi.applications.notify import status_url
    from madoguchi.notifications import render_email, send_email

    if not record.applicant_email:
        return
    definition = get_procedure(record.procedure_id)
    message = render_email(
        "payment_requested",
        record.locale,
        [record.applicant_email],
        procedure_title=definition.title.get(record.locale),
        reference_number=record.reference_number,
        amount=f"{amount:,}",
        fee_amount=f"{record.fee_amount:,}",
        deadline=deadline.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
        status_url=status_url(record.reference_number),
    )
    send_email(message, purpose="applicant_payment_requested")
