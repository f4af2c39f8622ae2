"""Fee balance of an application's payments: amount due, overpayment, refund allocation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from madoguchi.payments.balance import allocate_refund, fee_balance, kept_amount
from madoguchi.payments.models import STATE_RANK, PaymentRecord, PaymentState

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def payment(
    version: int,
    amount: int,
    state: PaymentState = PaymentState.PAID,
    received: int | None = None,
    refunded: int = 0,
) -> PaymentRecord:
    paid = state in (PaymentState.PAID, PaymentState.FLAGGED, PaymentState.REFUNDED)
    amount_received = None
    if paid:
        amount_received = amount if received is None else received
    return PaymentRecord(
        reference_number="2026-0000-0001",
        procedure_id="hunting-licence-exam",
        answers_version=version,
        state=state,
        state_rank=STATE_RANK[state],
        amount=amount,
        session_id=f"cs_{version}",
        checkout_url="https://checkout.example/",
        session_expires_at=NOW,
        payment_intent_id=f"pi_{version}" if paid else None,
        amount_received=amount_received,
        refunded_amount=refunded,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize(
    ("state", "kept"),
    [
        (PaymentState.PAID, 5200),
        (PaymentState.PENDING, 0),
        (PaymentState.PROCESSING, 0),
        (PaymentState.EXPIRED, 0),
        (PaymentState.FAILED, 0),
        (PaymentState.FLAGGED, 0),
        (PaymentState.REFUNDED, 0),
    ],
)
def test_kept_amount_by_state(state: PaymentState, kept: int) -> None:
    assert kept_amount(payment(1, 5200, state)) == kept


def test_kept_amount_less_partial_refund() -> None:
    assert kept_amount(payment(1, 10400, refunded=5200)) == 5200


def test_kept_amount_never_negative() -> None:
    assert kept_amount(payment(1, 5200, refunded=6000)) == 0


def test_balance_first_payment_due() -> None:
    balance = fee_balance(10400, [])

    assert balance.due == 10400
    assert balance.overpaid == 0


def test_balance_higher_fee_asks_difference() -> None:
    balance = fee_balance(10400, [payment(1, 5200)])

    assert balance.kept_amount == 5200
    assert balance.due == 5200
    assert balance.overpaid == 0


def test_balance_lower_fee_overpaid() -> None:
    balance = fee_balance(5200, [payment(1, 10400)])

    assert balance.due == 0
    assert balance.overpaid == 5200


def test_balance_after_partial_refund_settled() -> None:
    balance = fee_balance(5200, [payment(1, 10400, refunded=5200)])

    assert balance.due == 0
    assert balance.overpaid == 0


def test_balance_same_fee_nothing() -> None:
    balance = fee_balance(5200, [payment(1, 5200)])

    assert balance.due == 0
    assert balance.overpaid == 0


def test_balance_two_payments_cover_fee() -> None:
    balance = fee_balance(10400, [payment(1, 5200), payment(2, 5200)])

    assert balance.kept_amount == 10400
    assert balance.due == 0


def test_balance_ignores_unpaid_difference() -> None:
    balance = fee_balance(10400, [payment(1, 5200), payment(2, 5200, PaymentState.PENDING)])

    assert balance.due == 5200


def test_balance_wrong_amount_not_counted() -> None:
    flagged = payment(2, 5200, PaymentState.FLAGGED, received=520)

    assert fee_balance(10400, [payment(1, 5200), flagged]).due == 5200


def test_allocate_newest_first() -> None:
    first, difference = payment(1, 5200), payment(2, 5200)

    allocation = allocate_refund([first, difference], 5200)

    assert [(p.answers_version, amount) for p, amount in allocation] == [(2, 5200)]


def test_allocate_spans_payments() -> None:
    first, difference = payment(1, 10400), payment(2, 5200)

    allocation = allocate_refund([first, difference], 10400)

    assert [(p.answers_version, amount) for p, amount in allocation] == [(2, 5200), (1, 5200)]


def test_allocate_skips_refunded_and_unpaid() -> None:
    payments = [payment(1, 10400, refunded=5200), payment(2, 5200, PaymentState.REFUNDED),
                payment(3, 5200, PaymentState.EXPIRED)]

    allocation = allocate_refund(payments, 5200)

    assert [(p.answers_version, amount) for p, amount in allocation] == [(1, 5200)]


def test_allocate_capped_at_kept_money() -> None:
    allocation = allocate_refund([payment(1, 5200)], 10400)

    assert [amount for _, amount in allocation] == [5200]


def test_allocate_nothing_for_zero() -> None:
    assert allocate_refund([payment(1, 5200)], 0) == []
