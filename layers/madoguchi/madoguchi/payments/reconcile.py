"""Reconciliation: find sessions paid at Stripe but not recorded here, and settle them.

A webhook can be lost (endpoint down for longer than Stripe retries, a bug that
answered 2xx without effect). The scheduled function lists recent checkout
sessions from Stripe and passes every paid or expired one that the table has
not recorded through ``settlement``, the same path that webhooks take. Each
session is matched to its own payment (the first fee or the difference after a
correction) through the session's lookup item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from madoguchi.payments import gateway, settlement
from madoguchi.payments import repository as payments
from madoguchi.payments.models import STATE_RANK, PaymentState
from madoguchi.settings import get_settings

logger = Logger(child=True)

# Sessions live at most 24 hours and konbini vouchers 3 more days, so a week covers
# every session that can still change.
LOOKBACK = timedelta(days=7)


@dataclass
class ReconcileReport:
    checked: int = 0
    repaired: list[str] = field(default_factory=list)
    errors: int = 0


def reconcile_payments(now: datetime | None = None, lookback: timedelta = LOOKBACK) -> ReconcileReport:
    """Settle every recent session whose Stripe state is ahead of the stored one."""
    now = now or datetime.now(UTC)
    stage = get_settings().stage
    report = ReconcileReport()
    for session in gateway.list_checkout_sessions(int((now - lookback).timestamp())):
        data = session.to_dict()
        metadata = data.get("metadata") or {}
        if metadata.get("environment") != stage or not metadata.get("reference_number"):
            continue
        report.checked += 1
        state = _stripe_state(data)
        if state is None:
            continue
        reference_number = metadata["reference_number"]
        located = payments.payment_for_session(data["id"])
        answers_version = located[1] if located and located[0] == reference_number else 1
        payment = payments.get_payment(reference_number, answers_version)
        if payment is None or payment.session_id != data["id"] or payment.state_rank >= STATE_RANK[state]:
            continue
        try:
            # Stripe's session has no "paid at"; now stands for the event time, which
            # ranks after every event already stored for this session.
            outcome = settlement.apply_session_outcome(
                reference_number, data, state, int(now.timestamp()), now, answers_version
            )
        except gateway.PaymentProviderError:
            report.errors += 1
            logger.exception("reconciliation of a session failed", extra={"reference_number": reference_number})
            continue
        report.repaired.append(reference_number)
        logger.info("payment repaired by reconciliation",
                    extra={"reference_number": reference_number, "outcome": outcome.value})
    return report


def _stripe_state(session: dict) -> PaymentState | None:
    if session.get("payment_status") == "paid":
        return PaymentState.PAID
    if session.get("status") == "expired":
        return PaymentState.EXPIRED
    return None
