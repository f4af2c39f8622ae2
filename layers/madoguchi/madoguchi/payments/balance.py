"""Amount due and overpayment of an application's payments against its current fee.

Pure functions over payment records, so the workflow, refunds and the status page
compute the amount due and the overpayment the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from madoguchi.payments.models import PaymentRecord, PaymentState


@dataclass(frozen=True)
class FeeBalance:
    """An application's fee against the money it keeps, in yen."""

    fee_amount: int
    # Received in accepted payments, less what was refunded or requested back.
    kept_amount: int

    @property
    def due(self) -> int:
        return max(self.fee_amount - self.kept_amount, 0)

    @property
    def overpaid(self) -> int:
        return max(self.kept_amount - self.fee_amount, 0)


def kept_amount(payment: PaymentRecord) -> int:
    """Return the yen of one payment that the prefecture keeps.

    Only a ``paid`` payment counts. A ``flagged`` payment (wrong amount or currency)
    waits for staff and a ``refunded`` one was returned in full.
    """
    if payment.state != PaymentState.PAID:
        return 0
    received = payment.amount_received if payment.amount_received is not None else payment.amount
    return max(received - payment.refunded_amount, 0)


def fee_balance(fee_amount: int, payments: Iterable[PaymentRecord]) -> FeeBalance:
    return FeeBalance(fee_amount=fee_amount, kept_amount=sum(kept_amount(p) for p in payments))


def allocate_refund(payments: Iterable[PaymentRecord], amount: int) -> list[tuple[PaymentRecord, int]]:
    """Split a refund of ``amount`` yen over paid payments, newest answers version first.

    The newest payment is the difference paid after a correction, so a later
    correction that lowers the fee again takes back that payment before the first.
    Returns (payment, yen) pairs; their sum is less than ``amount`` only when the
    payments keep less than ``amount``.
    """
    allocation = []
    remaining = amount
    for payment in sorted(payments, key=lambda p: p.answers_version, reverse=True):
        if remaining <= 0:
            break
        share = min(kept_amount(payment), remaining)
        if share > 0:
            allocation.append((payment, share))
            remaining -= share
    return allocation
