"""Tests of the application status map and of the conditional writes that enforce it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from madoguchi.applications import repository
from madoguchi.applications.lifecycle import record_status
from madoguchi.applications.models import ApplicationRecord, HistoryEntry
from madoguchi.applications.status import (
    ALLOWED_TRANSITIONS,
    FINAL_STATUSES,
    ApplicationStatus,
    sources_of,
    status_label,
)
from madoguchi.settings import get_settings

S = ApplicationStatus
FINAL = {S.REJECTED, S.COMPLETED, S.WITHDRAWN, S.EXPIRED}
ALL_PAIRS = [(source, target) for source in S for target in S]


def test_every_status_has_entry() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(S)


def test_final_statuses() -> None:
    assert FINAL_STATUSES == FINAL


@pytest.mark.parametrize("final", sorted(FINAL))
def test_no_way_out_of_final(final: ApplicationStatus) -> None:
    assert ALLOWED_TRANSITIONS[final] == frozenset()


def test_completed_only_from_approved() -> None:
    assert sources_of(S.COMPLETED) == [S.APPROVED]


def test_approved_only_to_completed() -> None:
    assert ALLOWED_TRANSITIONS[S.APPROVED] == {S.COMPLETED}


def test_approval_only_from_review() -> None:
    assert sources_of(S.APPROVED) == [S.UNDER_REVIEW]


@pytest.mark.parametrize("decision", [S.REJECTED, S.RETURNED])
def test_reject_or_return_from_reviews(decision: ApplicationStatus) -> None:
    # The eligibility review before payment may reject or return, but never approve.
    assert sources_of(decision) == [S.ELIGIBILITY_REVIEW, S.UNDER_REVIEW]


def test_review_only_from_submitted_or_waits() -> None:
    assert sources_of(S.UNDER_REVIEW) == [
        S.SUBMITTED, S.AWAITING_IDENTITY, S.ELIGIBILITY_REVIEW, S.AWAITING_PAYMENT,
    ]


def test_eligibility_review_before_payment() -> None:
    assert sources_of(S.ELIGIBILITY_REVIEW) == [S.SUBMITTED, S.AWAITING_IDENTITY]
    assert S.AWAITING_PAYMENT in ALLOWED_TRANSITIONS[S.ELIGIBILITY_REVIEW]


def test_returned_may_be_resubmitted() -> None:
    assert S.SUBMITTED in ALLOWED_TRANSITIONS[S.RETURNED]


def test_submitted_reachable_only_from_returned() -> None:
    assert sources_of(S.SUBMITTED) == [S.RETURNED]


def test_no_self_transitions() -> None:
    for status, targets in ALLOWED_TRANSITIONS.items():
        assert status not in targets, status


@pytest.mark.parametrize("status", [S.SUBMITTED, S.ELIGIBILITY_REVIEW, S.UNDER_REVIEW, S.RETURNED])
def test_open_status_may_withdraw_or_expire(status: ApplicationStatus) -> None:
    assert S.WITHDRAWN in ALLOWED_TRANSITIONS[status]
    assert S.EXPIRED in ALLOWED_TRANSITIONS[status]


def test_approved_cannot_withdraw() -> None:
    assert S.WITHDRAWN not in ALLOWED_TRANSITIONS[S.APPROVED]


def test_every_status_reachable_from_submitted() -> None:
    reached = {S.SUBMITTED}
    frontier = [S.SUBMITTED]
    while frontier:
        for target in ALLOWED_TRANSITIONS[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)

    assert reached == set(S)


@pytest.mark.parametrize("status", list(S))
def test_status_label_in_ja_and_en(status: ApplicationStatus) -> None:
    label = status_label(status)

    assert label["ja"]
    assert label["en"]
    assert label["ja"] != label["en"]


# --- the map as enforced by DynamoDB conditions (moto in decorator mode) ----------------


@pytest.fixture
def table(local_stack: object) -> str:
    """Return the applications table that the local stack created from template.yaml.

    ``mock_aws`` is not used here: it would reset the moto data that the session's
    local stack serves to the integration tests in the same process.
    """
    return get_settings().table_name


def save_application(status: ApplicationStatus, reference_number: str | None = None) -> str:
    reference_number = reference_number or f"2026-T{uuid.uuid4().hex[:3].upper()}-{uuid.uuid4().hex[:4].upper()}"
    now = datetime(2026, 12, 4, tzinfo=UTC)
    repository.save_new_application(
        ApplicationRecord(
            reference_number=reference_number,
            procedure_id="cook-licence",
            procedure_version=1,
            status=status,
            locale="ja",
            answers_key=f"answers/cook-licence/{reference_number}/v1.json",
            created_at=now,
            updated_at=now,
            history=[HistoryEntry(at=now, event="submitted", status=status, actor="applicant")],
        )
    )
    return reference_number


def entry_for(target: ApplicationStatus) -> HistoryEntry:
    return HistoryEntry(at=datetime.now(UTC), event=target.value, status=target, actor="workflow")


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{s}-{t}" for s, t in ALL_PAIRS])
def test_repository_follows_map(table: str, source: ApplicationStatus, target: ApplicationStatus) -> None:
    reference_number = save_application(source)

    if target in ALLOWED_TRANSITIONS[source]:
        record = repository.transition_application(reference_number, target, entry_for(target))
        assert record.status == target
        assert record.history[-1].status == target
    else:
        with pytest.raises(repository.InvalidTransition):
            repository.transition_application(reference_number, target, entry_for(target))
        assert repository.get_application(reference_number).status == source


def test_unknown_application_transition(table: str) -> None:
    with pytest.raises(repository.InvalidTransition):
        repository.transition_application("2026-NONE-0000", S.UNDER_REVIEW, entry_for(S.UNDER_REVIEW))


def test_record_status_repeat_is_noop(table: str) -> None:
    reference_number = save_application(S.APPROVED)

    first = record_status(reference_number, "completed", "completed")
    second = record_status(reference_number, "completed", "completed")

    assert first.status == S.COMPLETED
    assert second.status == S.COMPLETED
    assert len(second.history) == 2


def test_record_status_backwards_rejected(table: str) -> None:
    reference_number = save_application(S.COMPLETED)

    with pytest.raises(repository.InvalidTransition):
        record_status(reference_number, "under_review", "review_started")
    assert repository.get_application(reference_number).status == S.COMPLETED
