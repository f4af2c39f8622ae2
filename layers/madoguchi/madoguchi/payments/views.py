"""What residents see of a payment: the status page's payment object and the receipt."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from madoguchi.applications.models import ApplicationRecord
from madoguchi.applications.status import ApplicationStatus
from madoguchi.i18n import translate_all
from madoguchi.payments import repository as payments
from madoguchi.payments.models import PaymentRecord, PaymentState
from madoguchi.procedures import get_procedure

_PAYABLE_STATES = frozenset({PaymentState.PENDING, PaymentState.PROCESSING})
_RECEIPT_STATES = frozenset({PaymentState.PAID, PaymentState.REFUNDED})


class ReceiptNotAvailable(LookupError):
    """The application has no paid fee, so there is no receipt."""


def payment_view(record: ApplicationRecord, now: datetime | None = None) -> dict[str, Any] | None:
    """Return the ``payment`` object of the status JSON, or None when no fee is due."""
    if record.fee_amount <= 0:
        return None
    now = now or datetime.now(UTC)
    payment = payments.get_payment(record.reference_number)
    if payment is None:
        return {
            "state": "not_requested",
            "state_label": translate_all("payments.state_not_requested"),
            "amount": record.fee_amount,
            "currency": "JPY",
            "session_id": None,
            "checkout_url": None,
            "receipt_available": False,
        }
    payable = (
        payment.state in _PAYABLE_STATES
        and record.status == ApplicationStatus.AWAITING_PAYMENT
        and payment.session_expires_at > now
    )
    return {
        "state": payment.state.value,
        "state_label": translate_all(f"payments.state_{payment.state.value}"),
        "amount": payment.amount,
        "currency": payment.currency.upper(),
        "session_id": payment.session_id,
        "checkout_url": payment.checkout_url if payable else None,
        "session_expires_at": payment.session_expires_at.isoformat(),
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        "method": payment.method,
        "receipt_available": payment.state in _RECEIPT_STATES and payment.paid_at is not None,
    }


def receipt_view(record: ApplicationRecord) -> dict[str, Any]:
    """Return the receipt (領収書) of a paid fee.

    Raises:
        ReceiptNotAvailable: the fee is not paid (or was never due).
    """
    payment = payments.get_payment(record.reference_number)
    if payment is None or payment.state not in _RECEIPT_STATES or payment.paid_at is None:
        raise ReceiptNotAvailable(record.reference_number)
    definition = get_procedure(record.procedure_id)
    return _receipt(record, payment, definition.title.ja, definition.title.get("en"))


def _receipt(record: ApplicationRecord, payment: PaymentRecord, title_ja: str, title_en: str) -> dict[str, Any]:
    method = payment.method or "unknown"
    return {
        "reference_number": record.reference_number,
        "procedure_title": {"ja": title_ja, "en": title_en},
        "amount": payment.amount_received if payment.amount_received is not None else payment.amount,
        "currency": (payment.currency_received or payment.currency).upper(),
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        "method": method,
        "method_label": translate_all(f"payments.method_{method}")
        if method in ("card", "konbini")
        else translate_all("payments.method_unknown"),
        "refunded": payment.state == PaymentState.REFUNDED,
        "refunded_at": payment.refunded_at.isoformat() if payment.refunded_at else None,
    }


def return_page_state(session_id: str | None = None, reference_number: str | None = None) -> str:
    """Return the stored payment state for a Checkout return page: by session id or reference.

    Only the state is returned; the page shows no personal data, because the URL
    that Stripe redirects to carries no access token.
    """
    reference = reference_number
    if session_id:
        reference = payments.reference_for_session(session_id)
    if not reference:
        return "unknown"
    payment = payments.get_payment(reference)
    if payment is None or (session_id and payment.session_id != session_id):
        return "unknown"
    return payment.state.value
