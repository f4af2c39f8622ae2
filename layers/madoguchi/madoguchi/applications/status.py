"""Application status: named states, the transitions allowed between them, display labels."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from madoguchi.i18n import translate_all

if TYPE_CHECKING:
    from madoguchi.applications.models import HistoryEntry


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_IDENTITY = "awaiting_identity"
    # Staff decide whether to accept an applicant whose identity check did not confirm
    # the answers (or the residency) before any fee is requested.
    ELIGIBILITY_REVIEW = "eligibility_review"
    AWAITING_PAYMENT = "awaiting_payment"
    UNDER_REVIEW = "under_review"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


# Status → statuses it may move to. Every write checks the current status against
# this map in a DynamoDB condition, so a late or duplicate event cannot move an
# application backwards.
ALLOWED_TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.SUBMITTED: frozenset(
        {
            ApplicationStatus.AWAITING_IDENTITY,
            ApplicationStatus.ELIGIBILITY_REVIEW,
            ApplicationStatus.AWAITING_PAYMENT,
            ApplicationStatus.UNDER_REVIEW,
            ApplicationStatus.WITHDRAWN,
            ApplicationStatus.EXPIRED,
        }
    ),
    ApplicationStatus.AWAITING_IDENTITY: frozenset(
        {
            ApplicationStatus.ELIGIBILITY_REVIEW,
            ApplicationStatus.AWAITING_PAYMENT,
            ApplicationStatus.UNDER_REVIEW,
            ApplicationStatus.WITHDRAWN,
            ApplicationStatus.EXPIRED,
        }
    ),
    ApplicationStatus.ELIGIBILITY_REVIEW: frozenset(
        {
            ApplicationStatus.AWAITING_PAYMENT,
            ApplicationStatus.UNDER_REVIEW,
            ApplicationStatus.REJECTED,
            ApplicationStatus.RETURNED,
            ApplicationStatus.WITHDRAWN,
            ApplicationStatus.EXPIRED,
        }
    ),
    ApplicationStatus.AWAITING_PAYMENT: frozenset(
        {ApplicationStatus.UNDER_REVIEW, ApplicationStatus.WITHDRAWN, ApplicationStatus.EXPIRED}
    ),
    ApplicationStatus.UNDER_REVIEW: frozenset(
        {
            ApplicationStatus.APPROVED,
            ApplicationStatus.REJECTED,
            ApplicationStatus.RETURNED,
            ApplicationStatus.WITHDRAWN,
            ApplicationStatus.EXPIRED,
        }
    ),
    ApplicationStatus.RETURNED: frozenset(
        {ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN, ApplicationStatus.EXPIRED}
    ),
    ApplicationStatus.APPROVED: frozenset({ApplicationStatus.COMPLETED}),
    ApplicationStatus.REJECTED: frozenset(),
    ApplicationStatus.COMPLETED: frozenset(),
    ApplicationStatus.WITHDRAWN: frozenset(),
    ApplicationStatus.EXPIRED: frozenset(),
}

FINAL_STATUSES = frozenset(s for s, targets in ALLOWED_TRANSITIONS.items() if not targets)


def sources_of(target: ApplicationStatus) -> list[ApplicationStatus]:
    """Return the statuses from which ``target`` may be reached."""
    return [source for source, targets in ALLOWED_TRANSITIONS.items() if target in targets]


def status_label(status: ApplicationStatus | str) -> dict[str, str]:
    return translate_all(f"status.{ApplicationStatus(status).value}")


def event_label(event: str, **params: object) -> dict[str, str]:
    return translate_all(f"status.event_{event}", **params)


def history_label(entry: HistoryEntry) -> dict[str, str]:
    """Return the label of a history entry in ja and en.

    A resubmission that changed the fee names both amounts, a payment after a
    correction is named as the difference, and the final approval names its step.
    """
    if entry.event == "resubmitted" and entry.fee_amount is not None and entry.previous_fee_amount is not None:
        return event_label(
            "resubmitted_fee_changed", before=f"{entry.previous_fee_amount:,}", after=f"{entry.fee_amount:,}"
        )
    amount = f"{entry.amount:,}" if entry.amount is not None else ""
    if entry.event == "payment_received" and entry.amount is not None and (entry.answers_version or 1) > 1:
        return event_label("difference_payment_received", amount=amount)
    if entry.event == "approved" and entry.step_title:
        return event_label("approved_at_final_step", step=entry.step_title)
    return event_label(entry.event, step=entry.step_title or "", amount=amount)
