"""Usage KPIs from application summaries, with figures computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from madoguchi.inventory.usage import (
    ApplicationSummary,
    completed_online_share,
    median_processing_days,
    monthly_usage,
    payment_method_shares,
)
from pydantic import ValidationError

JST = timezone(timedelta(hours=9))


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


@pytest.fixture
def applications() -> list[ApplicationSummary]:
    return [
        # 23:30 JST on 30 April is April, though it is 14:30 UTC.
        ApplicationSummary(
            procedure_id="cook-licence",
            submitted_at=jst("2023-04-30T23:30"),
            status="completed",
            completed_at=jst("2023-05-02T23:30"),
            channel="online",
            payment_method="credit_card",
        ),
        # 15:00 UTC on 30 April is 00:00 JST on 1 May.
        ApplicationSummary(
            procedure_id="cook-licence",
            submitted_at=datetime(2023, 4, 30, 15, 0, tzinfo=UTC),
            status="completed",
            completed_at=jst("2023-05-05T00:00"),
            channel="counter",
            payment_method="cash",
        ),
        ApplicationSummary(
            procedure_id="cook-licence",
            submitted_at=jst("2023-05-10T10:00"),
            status="in_review",
            channel="online",
            payment_method="credit_card",
        ),
        ApplicationSummary(
            procedure_id="hunting-licence-exam",
            submitted_at=jst("2023-05-11T09:00"),
            status="completed",
            completed_at=jst("2023-05-11T21:00"),
            channel="online",
            payment_method="pay_easy",
        ),
        ApplicationSummary(
            procedure_id="cook-employment-notification",
            submitted_at=jst("2023-05-12T09:00"),
            status="completed",
            completed_at=jst("2023-05-20T09:00"),
            channel="online",
        ),
    ]


def test_monthly_usage_per_procedure(applications: list[ApplicationSummary]) -> None:
    rows = {(row.month, row.procedure_id): row for row in monthly_usage(applications)}

    assert list(rows) == [
        ("2023-04", "cook-licence"),
        ("2023-05", "cook-employment-notification"),
        ("2023-05", "cook-licence"),
        ("2023-05", "hunting-licence-exam"),
    ]
    april = rows[("2023-04", "cook-licence")]
    assert (april.applications, april.completed, april.median_processing_days) == (1, 0, None)

    may = rows[("2023-05", "cook-licence")]
    assert may.applications == 2
    assert may.completed == 2
    assert may.completed_online == 1
    assert may.median_processing_days == 3.0  # median of 2 and 4 days

    assert rows[("2023-05", "hunting-licence-exam")].median_processing_days == 0.5


def test_completed_online_share(applications: list[ApplicationSummary]) -> None:
    assert completed_online_share(applications).model_dump() == {
        "numerator": 3,
        "denominator": 4,
        "rate": 0.75,
    }
    assert completed_online_share(applications, "cook-licence").rate == 0.5


def test_median_processing_days(applications: list[ApplicationSummary]) -> None:
    assert median_processing_days(applications) == 3.0  # 0.5, 2, 4, 8
    assert median_processing_days(applications, "cook-employment-notification") == 8.0
    assert median_processing_days([], "cook-licence") is None


def test_payment_method_shares(applications: list[ApplicationSummary]) -> None:
    shares = payment_method_shares(applications)

    assert [(s.payment_method, s.share.numerator, s.share.denominator) for s in shares] == [
        ("credit_card", 2, 4),
        ("cash", 1, 4),
        ("pay_easy", 1, 4),
    ]


def test_payment_method_shares_for_month(applications: list[ApplicationSummary]) -> None:
    shares = payment_method_shares(applications, month="2023-05")

    assert [(s.payment_method, s.share.numerator) for s in shares] == [
        ("cash", 1),
        ("credit_card", 1),
        ("pay_easy", 1),
    ]
    assert all(s.share.denominator == 3 for s in shares)


def test_summary_rejects_naive_datetime() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        ApplicationSummary(
            procedure_id="cook-licence",
            submitted_at=datetime(2023, 5, 1, 9, 0),
            status="submitted",
            channel="online",
        )


def test_summary_rejects_completion_before_submission() -> None:
    with pytest.raises(ValidationError, match="before submitted_at"):
        ApplicationSummary(
            procedure_id="cook-licence",
            submitted_at=jst("2023-05-02T09:00"),
            completed_at=jst("2023-05-01T09:00"),
            status="completed",
            channel="online",
        )
