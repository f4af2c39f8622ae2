"""Approver resolution (delegation, escalation) and the waits of a route step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from madoguchi.approvals.routing import (
    ApproverNotConfigured,
    escalation_recipients,
    resolve_recipients,
    step_timers,
)
from madoguchi.procedures.models import ApprovalStep
from madoguchi.settings import Settings
from pydantic import ValidationError

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def settings(**changes: object) -> Settings:
    values: dict[str, object] = {
        "table_name": "t", "answers_bucket": "b", "answers_kms_key_id": "k",
        "sender_email": "no-reply@example.jp", "public_base_url": "https://example.jp",
        "signing_secret": "s" * 40,
        "approvers": {"staff": ["a@example.jp", "b@example.jp"], "chief": ["chief@example.jp"]},
    }
    values.update(changes)
    return Settings.model_validate(values)


def step(**changes: object) -> ApprovalStep:
    values: dict[str, object] = {"id": "review", "title": {"ja": "審査"}, "approver_role": "staff"}
    values.update(changes)
    return ApprovalStep.model_validate(values)


def test_no_delegation() -> None:
    recipients = resolve_recipients(settings(), "staff", NOW)

    assert recipients.emails == ["a@example.jp", "b@example.jp"]
    assert recipients.delegates == []


def test_address_delegation_replaces_one() -> None:
    delegates = '{"a@example.jp": {"substitute": "dairi@example.jp"}}'

    recipients = resolve_recipients(settings(approver_delegates=delegates), "staff", NOW)

    assert recipients.emails == ["dairi@example.jp", "b@example.jp"]
    assert recipients.delegates == ["dairi@example.jp"]


def test_role_delegation_replaces_all() -> None:
    delegates = {"staff": [{"substitute": "dairi@example.jp"}]}

    recipients = resolve_recipients(settings(approver_delegates=delegates), "staff", NOW)

    assert recipients.emails == ["dairi@example.jp"]


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "active"),
    [
        ("2026-03-01T00:00:00+09:00", "2026-05-01T00:00:00+09:00", True),
        ("2026-04-02T00:00:00+09:00", None, False),
        (None, "2026-04-01T09:00:00+00:00", False),
    ],
)
def test_delegation_period(starts_at: str | None, ends_at: str | None, active: bool) -> None:
    delegates = {"staff": {"substitute": "dairi@example.jp", "starts_at": starts_at, "ends_at": ends_at}}

    recipients = resolve_recipients(settings(approver_delegates=delegates), "staff", NOW)

    assert (recipients.emails == ["dairi@example.jp"]) is active


def test_role_without_address() -> None:
    with pytest.raises(ApproverNotConfigured):
        resolve_recipients(settings(), "head", NOW)


def test_escalation_to_role_and_address() -> None:
    escalations = '{"staff": ["chief", "duty@example.jp"]}'

    targets = escalation_recipients(settings(approver_escalations=escalations), "staff")

    assert targets == ["chief@example.jp", "duty@example.jp"]


def test_escalation_unconfigured() -> None:
    assert escalation_recipients(settings(), "staff") == []


def test_timers_in_days() -> None:
    timers = step_timers(settings(), step(deadline_days=5, reminder_before_days=1))

    assert timers["remind_after_seconds"] == 4 * 86400
    assert timers["escalate_after_seconds"] == 86400
    assert timers["expire_after_seconds"] == 30 * 86400


def test_timers_scaled_for_tests() -> None:
    scaled = settings(approval_deadline_scale_seconds_per_day=0.2)

    timers = step_timers(scaled, step(deadline_days=10, reminder_before_days=1))

    assert timers["remind_after_seconds"] == 1
    assert timers["escalate_after_seconds"] == 1


def test_reminder_at_most_half_deadline() -> None:
    timers = step_timers(settings(), step(deadline_days=1, reminder_before_days=3))

    assert timers["remind_after_seconds"] == 43200
    assert timers["escalate_after_seconds"] == 43200


def test_consultation_roles() -> None:
    consultation = step(approver_role=None, approver_roles=["staff", "chief"])

    assert consultation.roles == ["staff", "chief"]
    assert step().roles == ["staff"]


@pytest.mark.parametrize(
    "changes",
    [
        {"approver_roles": ["chief"]},
        {"approver_role": None},
        {"approver_role": None, "approver_roles": ["chief", "chief"]},
    ],
)
def test_step_roles_invalid(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        step(**changes)
