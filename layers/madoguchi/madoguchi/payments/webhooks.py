"""Stripe webhook events: verify, deduplicate, apply.

Steps, following https://docs.stripe.com/webhooks#verify-events:
1. Verify ``Stripe-Signature`` (``t=…,v1=…``, HMAC-SHA256 over ``"{t}.{raw body}"``)
   on the raw bytes, with the SDK's 300-second tolerance. The body is never
   re-serialised first, so Japanese metadata or key order cannot break the check.
2. Store the event id with a conditional put; a duplicate, also a concurrent one,
   is acknowledged without effect.
3. Ignore (with 2xx) events of another environment or of sessions unknown here.
4. Apply the event through ``settlement``, which orders states by rank and
   ``created`` so that any arrival order ends in the same state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from madoguchi.payments import repository as payments
from madoguchi.payments import settlement
from madoguchi.payments.models import PaymentState
from madoguchi.settings import get_settings

logger = Logger(child=True)

HANDLED_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "charge.refunded",
    }
)


class InvalidWebhook(Exception):
    """The signature is missing, forged or outside the tolerance, or the body is not an event."""


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    event_type: str
    outcome: str


def verify_event(raw_body: bytes, signature_header: str | None) -> dict[str, Any]:
    """Verify the signature of a raw webhook body and return the parsed event.

    Raises:
        InvalidWebhook: verification failed or the body is not a JSON event.
    """
    import stripe

    secret = get_settings().stripe_webhook_secret
    if not secret:
        raise InvalidWebhook("STRIPE_WEBHOOK_SECRET is not set")
    if not signature_header:
        raise InvalidWebhook("Stripe-Signature header is missing")
    try:
        payload = raw_body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidWebhook("body is not UTF-8") from exc
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature_header, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook("signature verification failed") from exc
    except (ValueError, IndexError) as exc:
        # The SDK raises these for a header without a parsable "t=" part.
        raise InvalidWebhook("Stripe-Signature header is malformed") from exc
    try:
        event = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise InvalidWebhook("body is not JSON") from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise InvalidWebhook("body is not a Stripe event")
    return event


def handle_webhook(raw_body: bytes, signature_header: str | None, now: datetime | None = None) -> WebhookResult:
    """Verify and apply one webhook delivery exactly once.

    Raises:
        InvalidWebhook: the delivery is not a verified Stripe event (answer 400).
        Exception: applying failed; the event id is forgotten so that Stripe's retry
            is applied (answer 500).
    """
    now = now or datetime.now(UTC)
    event = verify_event(raw_body, signature_header)
    event_id, event_type = str(event["id"]), str(event["type"])
    if event_type not in HANDLED_EVENT_TYPES:
        return WebhookResult(event_id, event_type, "ignored_type")
    if not payments.record_event_once(event_id, event_type, now):
        return WebhookResult(event_id, event_type, "duplicate")

    try:
        outcome = apply_event(event, now)
    except Exception:
        payments.forget_event(event_id)
        raise
    return WebhookResult(event_id, event_type, outcome)


def apply_event(event: dict[str, Any], now: datetime) -> str:
    """Apply a verified event; return what it did."""
    data = event.get("data") or {}
    obj = data.get("object") or {}
    created = int(event.get("created") or 0)
    if event["type"] == "charge.refunded":
        return _apply_refund(obj, created, now)

    metadata = obj.get("metadata") or {}
    if metadata.get("environment") != get_settings().stage:
        return "other_environment"
    # The session item names the payment (reference number and answers version).
    located = payments.payment_for_session(str(obj.get("id")))
    reference_number = metadata.get("reference_number") or (located[0] if located else None)
    answers_version = located[1] if located and located[0] == reference_number else 1
    state = settlement.session_state(obj, event["type"])
    if not reference_number or state is None:
        return "unknown_session"
    return settlement.apply_session_outcome(reference_number, obj, state, created, now, answers_version).value


def _apply_refund(charge: dict[str, Any], created: int, now: datetime) -> str:
    """Apply ``charge.refunded``, which Stripe sends for every refund of a charge, partial or full.

    ``amount_refunded`` is the charge's total refunded so far. A partial total only
    raises the payment's refunded amount, and the payment stays ``paid``. A charge
    with ``refunded: true`` makes the payment ``refunded``.
    """
    intent_id = charge.get("payment_intent")
    located = payments.payment_for_intent(str(intent_id)) if intent_id else None
    if located is None:
        return "unknown_payment"
    reference_number, answers_version = located
    payment = payments.get_payment(reference_number, answers_version)
    if payment is None:
        return "unknown_payment"
    amount_refunded = int(charge.get("amount_refunded") or 0)
    if amount_refunded:
        payments.record_refunded_amount(reference_number, answers_version, amount_refunded, now)
    if not charge.get("refunded"):
        return "partial_refund"
    try:
        payments.advance_state(
            reference_number, payment.session_id, PaymentState.REFUNDED, created, now,
            answers_version=answers_version, refunded_at=now.isoformat(),
        )
    except payments.StaleUpdate:
        return "stale"
    return "applied"
