"""Usage KPIs of the procedures that run on madoguchi, from application summaries.

Definitions:

* An application is completed when ``completed_at`` is set, whatever its status,
  so these figures do not depend on the status vocabulary. ``status`` is carried
  for callers that filter before calling.
* Months are calendar months in Japan Standard Time (UTC+9, no daylight saving).
  Applications count in the month they were submitted; completions, online
  completions and processing days count in the month they were completed.
* Processing days are calendar days from ``submitted_at`` to ``completed_at``,
  fractional, so a same-day decision is below 1.
* The online-completion share is completed applications whose channel is
  ``online`` over all completed applications.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from madoguchi.inventory.kpi import Rate

JAPAN_STANDARD_TIME = timezone(timedelta(hours=9), "JST")
ONLINE_CHANNEL = "online"


class ApplicationSummary(BaseModel):
    """The fields of one madoguchi application that the usage KPIs need, no personal data."""

    model_config = ConfigDict(frozen=True)

    procedure_id: str = Field(min_length=1, description="madoguchi procedure definition id")
    submitted_at: AwareDatetime
    status: str
    completed_at: AwareDatetime | None = None
    channel: str = Field(
        min_length=1, description="'online' for applications submitted on madoguchi"
    )
    payment_method: str | None = Field(default=None, description="None when nothing was paid")

    @model_validator(mode="after")
    def _check_order(self) -> ApplicationSummary:
        if self.completed_at is not None and self.completed_at < self.submitted_at:
            raise ValueError(
                f"completed_at {self.completed_at.isoformat()} is before "
                f"submitted_at {self.submitted_at.isoformat()}"
            )
        return self


class MonthlyUsage(BaseModel):
    """Usage of one procedure in one month."""

    model_config = ConfigDict(frozen=True)

    procedure_id: str
    month: str  # YYYY-MM in Japan Standard Time
    applications: int  # submitted in the month
    completed: int  # completed in the month
    completed_online: int  # completed in the month with channel "online"
    median_processing_days: float | None  # over applications completed in the month


class PaymentShare(BaseModel):
    """Number and share of paid applications that used one payment method."""

    model_config = ConfigDict(frozen=True)

    payment_method: str
    share: Rate


def month_of(moment: datetime) -> str:
    """Return the month of a moment in Japan Standard Time as YYYY-MM."""
    return moment.astimezone(JAPAN_STANDARD_TIME).strftime("%Y-%m")


def processing_days(application: ApplicationSummary) -> float | None:
    """Return the calendar days from submission to completion, or None if not completed."""
    if application.completed_at is None:
        return None
    return (application.completed_at - application.submitted_at).total_seconds() / 86_400


def monthly_usage(applications: Iterable[ApplicationSummary]) -> list[MonthlyUsage]:
    """Compute applications, completions and median processing days per procedure and month.

    Rows are sorted by month, then procedure id. A procedure and month appear when
    the month has at least one submission or completion of that procedure.
    """
    submitted: dict[tuple[str, str], int] = {}
    completed: dict[tuple[str, str], list[ApplicationSummary]] = {}
    for application in applications:
        submitted_key = (month_of(application.submitted_at), application.procedure_id)
        submitted[submitted_key] = submitted.get(submitted_key, 0) + 1
        if application.completed_at is not None:
            completed_key = (month_of(application.completed_at), application.procedure_id)
            completed.setdefault(completed_key, []).append(application)

    rows: list[MonthlyUsage] = []
    for month, procedure_id in sorted(set(submitted) | set(completed)):
        finished = completed.get((month, procedure_id), [])
        days = [processing_days(application) for application in finished]
        rows.append(
            MonthlyUsage(
                procedure_id=procedure_id,
                month=month,
                applications=submitted.get((month, procedure_id), 0),
                completed=len(finished),
                completed_online=sum(1 for a in finished if a.channel == ONLINE_CHANNEL),
                median_processing_days=_median(days),
            )
        )
    return rows


def completed_online_share(
    applications: Iterable[ApplicationSummary], procedure_id: str | None = None
) -> Rate:
    """Compute completed applications submitted online over all completed applications."""
    finished = [
        application
        for application in applications
        if application.completed_at is not None
        and (procedure_id is None or application.procedure_id == procedure_id)
    ]
    online = sum(1 for application in finished if application.channel == ONLINE_CHANNEL)
    return Rate(numerator=online, denominator=len(finished))


def median_processing_days(
    applications: Iterable[ApplicationSummary], procedure_id: str | None = None
) -> float | None:
    """Compute the median processing days of completed applications, None if none completed."""
    days = [
        processing_days(application)
        for application in applications
        if application.completed_at is not None
        and (procedure_id is None or application.procedure_id == procedure_id)
    ]
    return _median(days)


def payment_method_shares(
    applications: Iterable[ApplicationSummary], month: str | None = None
) -> list[PaymentShare]:
    """Compute each payment method's share of paid applications, largest first.

    Applications without a payment method are left out. With ``month`` (YYYY-MM)
    only applications submitted in that month count.
    """
    counts: dict[str, int] = {}
    for application in applications:
        if application.payment_method is None:
            continue
        if month is not None and month_of(application.submitted_at) != month:
            continue
        counts[application.payment_method] = counts.get(application.payment_method, 0) + 1

    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        PaymentShare(payment_method=method, share=Rate(numerator=count, denominator=total))
        for method, count in ordered
    ]


def monthly_payment_counts(applications: Iterable[ApplicationSummary]) -> dict[str, dict[str, int]]:
    """Count paid applications per submission month and payment method."""
    counts: dict[str, dict[str, int]] = {}
    for application in applications:
        if application.payment_method is None:
            continue
        by_method = counts.setdefault(month_of(application.submitted_at), {})
        by_method[application.payment_method] = by_method.get(application.payment_method, 0) + 1
    return counts


def _median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return round(statistics.median(present), 2) if present else None
