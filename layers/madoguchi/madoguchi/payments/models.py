"""Payment record of one application, as stored in DynamoDB."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class PaymentState(StrEnum):
    PENDING = "pending"  # checkout session open, nothing paid yet
    PROCESSING = "processing"  # konbini voucher issued, waiting for the cash payment
    FAILED = "failed"  # konbini voucher expired unpaid, or the payment failed
    EXPIRED = "expired"  # checkout session or payment window expired unpaid
    PAID = "paid"
    FLAGGED = "flagged"  # money received but not accepted (amount or currency mismatch)
    REFUNDED = "refunded"


# A state may only be replaced by one of higher rank, or of equal rank by a later
# Stripe event (``created``). Events can arrive in any order, so this makes the
# stored state the same whatever the arrival order: money received outranks an
# expiry or a failure, and a refund outranks everything.
STATE_RANK: dict[PaymentState, int] = {
    PaymentState.PENDING: 0,
    PaymentState.PROCESSING: 1,
    PaymentState.FAILED: 2,
    PaymentState.EXPIRED: 2,
    PaymentState.PAID: 3,
    PaymentState.FLAGGED: 3,
    PaymentState.REFUNDED: 4,
}

UNPAID_STATES = frozenset({PaymentState.PENDING, PaymentState.PROCESSING, PaymentState.FAILED})


class PaymentRecord(BaseModel):
    """One fee payment of an application; the task token never leaves the server.

    Each workflow run requests what is still due: the whole fee in the first run, the
    difference in a run after a correction that raised the fee.
    """

    model_config = ConfigDict(extra="ignore", defer_build=True)

    reference_number: str
    procedure_id: str
    # Answers version whose workflow run opened this payment; also part of the item key.
    answers_version: int = 1
    state: PaymentState
    state_rank: int
    # ``created`` (Unix seconds) of the Stripe event that set the state; 0 for our own writes.
    state_created: int = 0
    amount: int
    currency: str = "jpy"
    session_id: str
    checkout_url: str
    session_expires_at: datetime
    task_token: str | None = None
    payment_intent_id: str | None = None
    method: str | None = None
    amount_received: int | None = None
    currency_received: str | None = None
    paid_at: datetime | None = None
    resumed_at: datetime | None = None
    # Yen of this payment requested back from Stripe so far (partial refunds add up),
    # or the charge's ``amount_refunded`` when Stripe reports more.
    refunded_amount: int = 0
    refund_id: str | None = None
    refund_reason: str | None = None
    refunded_at: datetime | None = None
    flagged_reason: str | None = None
    created_at: datetime
    updated_at: datetime
