"""What residents see of a payment: the status page's payment object and the receipt."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from madoguchi.applications.models import ApplicationRecord
from madoguchi.applications.status import ApplicationStatus
from madoguchi.i18n import translate_all
from madoguchi.payments import repository as payments
from madoguchi.payments.balance import fee_balance
from madoguchi.payments.models import PaymentRecord, PaymentState
from madoguchi.procedures import get_procedure

_PAYABLE_STATES = frozenset({PaymentState.PENDING, PaymentState.PROCESSING})
_RECEIPT_STATES = frozenset({PaymentState.PAID, PaymentState.REFUNDED})


class ReceiptNotAvailable(LookupError):
    """The application has no paid fee, so there is no receipt."""


def payment_view(record: ApplicationRecord, now: datetime | None = None) -> dict[str, Any] | None:
    """Return the ``payment`` object of the status JSON, or None when no fee is due and none was paid.

    The top-level state, amount and checkout URL describe what the resident has to do
    now: the payment of the current answers version, a payment not yet requested
    when money is due, or else the latest payment. ``payments`` lists every payment.
    """
    now = now or datetime.now(UTC)
    listed = payments.list_payments(record.reference_number)
    if record.fee_amount <= 0 and not listed:
        return None
    balance = fee_balance(record.fee_amount, listed)
    current = next((p for p in listed if p.answers_version == record.answers_version), None)
    if current is None and (balance.due > 0 or not listed):
        view: dict[str, Any] = {
            "state": "not_requested",
            "state_label": translate_all("payments.state_not_requested"),
            "amount": balance.due,
            "currency": "JPY",
            "session_id": None,
            "checkout_url": None,
        }
    else:
        view = _current_payment(record, current or listed[-1], now)
    view.update(
        {
            "fee_amount": record.fee_amount,
            "amount_due": balance.due,
            "kept_amount": balance.kept_amount,
            "refunded_amount": sum(_refunded_amount(p) for p in listed),
            "receipt_available": any(_has_receipt(p) for p in listed),
            "payments": [_payment_summary(p, index) for index, p in enumerate(listed)],
        }
    )
    return view


def _current_payment(record: ApplicationRecord, payment: PaymentRecord, now: datetime) -> dict[str, Any]:
    payable = (
        payment.state in _PAYABLE_STATES
        and record.status == ApplicationStatus.AWAITING_PAYMENT
        and payment.answers_version == record.answers_version
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
    }


def _payment_summary(payment: PaymentRecord, index: int) -> dict[str, Any]:
    """Return one payment for the status page's list: kind, amount, state and refund."""
    kind = _kind(index)
    return {
        "answers_version": payment.answers_version,
        "kind": kind,
        "kind_label": translate_all(f"payments.kind_{kind}"),
        "amount": payment.amount,
        "state": payment.state.value,
        "state_label": translate_all(f"payments.state_{payment.state.value}"),
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        "method_label": _method_label(payment.method) if payment.paid_at else None,
        "refunded_amount": _refunded_amount(payment),
    }


def receipt_view(record: ApplicationRecord) -> dict[str, Any]:
    """Return the receipt (領収書) of an application: one receipt per received payment.

    ``amount`` and ``refunded_amount`` add up all receipts.

    Raises:
        ReceiptNotAvailable: no fee was paid (or none was ever due).
    """
    listed = payments.list_payments(record.reference_number)
    receipts = [_receipt(p, index) for index, p in enumerate(listed) if _has_receipt(p)]
    if not receipts:
        raise ReceiptNotAvailable(record.reference_number)
    definition = get_procedure(record.procedure_id)
    amount = sum(receipt["amount"] for receipt in receipts)
    refunded_amount = sum(receipt["refunded_amount"] for receipt in receipts)
    return {
        "reference_number": record.reference_number,
        "procedure_title": {"ja": definition.title.ja, "en": definition.title.get("en")},
        "amount": amount,
        "currency": receipts[0]["currency"],
        "refunded_amount": refunded_amount,
        "refunded": refunded_amount >= amount,
        "receipts": receipts,
    }


def _receipt(payment: PaymentRecord, index: int) -> dict[str, Any]:
    kind = _kind(index)
    return {
        "answers_version": payment.answers_version,
        "kind": kind,
        "kind_label": translate_all(f"payments.kind_{kind}"),
        "amount": _received(payment),
        "currency": (payment.currency_received or payment.currency).upper(),
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        "method": payment.method or "unknown",
        "method_label": _method_label(payment.method),
        "refunded": payment.state == PaymentState.REFUNDED,
        "refunded_amount": _refunded_amount(payment),
        "refunded_at": payment.refunded_at.isoformat() if payment.refunded_at else None,
    }


def _kind(index: int) -> str:
    # The first payment is the fee; every later one is a difference after a correction.
    return "fee" if index == 0 else "difference"


def _method_label(method: str | None) -> dict[str, str]:
    if method in ("card", "konbini"):
        return translate_all(f"payments.method_{method}")
    return translate_all("payments.method_unknown")


def _received(payment: PaymentRecord) -> int:
    return payment.amount_received if payment.amount_received is not None else payment.amount


def _refunded_amount(payment: PaymentRecord) -> int:
    # A refund made in the Stripe dashboard can mark a payment refunded without an amount here.
    if payment.state == PaymentState.REFUNDED:
        return _received(payment)
    return payment.refunded_amount


def _has_receipt(payment: PaymentRecord) -> bool:
    return payment.state in _RECEIPT_STATES and payment.paid_at is not None


def return_page_state(session_id: str | None = None, reference_number: str | None = None) -> str:
    """Return the stored payment state for a Checkout return page: by session id or reference.

    Only the state is returned; the page shows no personal data, because the URL
    that Stripe redirects to carries no access token.
    """
    payment: PaymentRecord | None = None
    if session_id:
        located = payments.payment_for_session(session_id)
        payment = payments.get_payment(*located) if located else None
    elif reference_number:
        # The cancel page names only the application; its latest payment is the one cancelled.
        listed = payments.list_payments(reference_number)
        payment = listed[-1] if listed else None
    if payment is None or (session_id and payment.session_id != session_id):
        return "unknown"
    return payment.state.value
