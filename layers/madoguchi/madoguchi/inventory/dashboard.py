"""Figures of the digitalisation dashboard: inventory KPIs next to live usage on madoguchi.

The inventory figures come from the stored inventory (``kpi``). The figures over
time are computed at each fiscal-year end (31 March) from the procedures'
``online_since`` and ``seal_abolished_on`` dates, and the recorded snapshots are
the KPIs as stored at each import. The live figures are counted from the
applications of the procedures that run on madoguchi.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict

from madoguchi.applications.status import FINAL_STATUSES
from madoguchi.inventory import store
from madoguchi.inventory.kpi import (
    ONLINE_RATE_TARGETS,
    InventorySnapshot,
    Rate,
    RateTarget,
    evaluate_targets,
    online_rate,
    seal_progress,
    take_snapshot,
)
from madoguchi.inventory.models import LegalBasis, OnlineStatus, Procedure, SealStatus
from madoguchi.inventory.service import today_in_japan
from madoguchi.inventory.usage import (
    ApplicationSummary,
    MonthlyUsage,
    completed_online_share,
    median_processing_days,
    monthly_usage,
)
from madoguchi.procedures import load_catalog

LIVE_MONTHS = 12
_FINAL_STATUS_VALUES = frozenset(status.value for status in FINAL_STATUSES)


class InventoryTotals(BaseModel):
    """Headline counts of the inventory, as the survey reports them."""

    model_config = ConfigDict(frozen=True)

    procedures: int
    seal_originally_required: int  # 押印を求めていた手続
    seal_within_prefecture_power: int  # of those, 県で見直し可能
    seal_requires_law_change: int  # of those, 法令等の改正が必要
    seal_abolished: int
    online: int
    excluded_from_online_rate: int  # unsuitable or not cost-effective


class TargetStatus(BaseModel):
    """A plan target with its outcome: met or missed once the deadline passed, else pending."""

    model_config = ConfigDict(frozen=True)

    target: RateTarget
    outcome: str  # "met", "missed" or "pending"
    rate_at_deadline: Rate | None  # None while the deadline is in the future


class FiscalYearPoint(BaseModel):
    """KPIs at the end of one fiscal year (31 March), from the procedures' dates."""

    model_config = ConfigDict(frozen=True)

    fiscal_year: int  # the Western year the fiscal year starts in: 2021 is 令和3年度
    as_of: date
    online_ordinance: Rate
    online_overall: Rate
    seal_overall: Rate


class RecordedSnapshot(BaseModel):
    """Headline KPIs of one snapshot stored at an import."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    procedures: int
    online_ordinance: Rate
    online_overall: Rate
    seal_overall: Rate


class InventoryRecord(BaseModel):
    """The inventory record of a procedure that runs on madoguchi."""

    model_config = ConfigDict(frozen=True)

    procedure_id: str
    annual_volume: int
    online_status: OnlineStatus
    online_since: date | None
    seal_status: SealStatus


class LiveProcedure(BaseModel):
    """Live usage of one procedure on madoguchi, with its inventory record when there is one."""

    model_config = ConfigDict(frozen=True)

    procedure_id: str
    title: dict[str, str]
    applications: int
    completed: int
    in_progress: int  # not yet in a final status (completed, rejected, withdrawn, expired)
    completed_online_share: Rate
    median_processing_days: float | None
    inventory: InventoryRecord | None


class Dashboard(BaseModel):
    """Every figure of the dashboard page and of ``GET /api/dashboard``."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    inventory_imported: bool
    totals: InventoryTotals | None
    latest: InventorySnapshot | None
    targets: list[TargetStatus]
    fiscal_years: list[FiscalYearPoint]
    recorded_snapshots: list[RecordedSnapshot]
    live_procedures: list[LiveProcedure]
    live_monthly: list[MonthlyUsage]  # the last LIVE_MONTHS months with any activity


def build_dashboard(now: datetime | None = None) -> Dashboard:
    """Compute the dashboard from the stored inventory, its snapshots and the applications."""
    now = now or datetime.now(UTC)
    today = today_in_japan(now)
    procedures = store.load_current_inventory()

    definitions = load_catalog()
    summaries = store.list_application_summaries(sorted(definitions))
    live = [
        _live_procedure(procedure_id, definition.title.model_dump(), summaries, procedures)
        for procedure_id, definition in sorted(definitions.items())
    ]
    monthly = [_without_small_medians(row) for row in monthly_usage(summaries)]
    recent_months = sorted({row.month for row in monthly})[-LIVE_MONTHS:]

    if procedures is None:
        return Dashboard(
            as_of=today,
            inventory_imported=False,
            totals=None,
            latest=None,
            targets=[],
            fiscal_years=[],
            recorded_snapshots=[],
            live_procedures=live,
            live_monthly=[row for row in monthly if row.month in recent_months],
        )
    return Dashboard(
        as_of=today,
        inventory_imported=True,
        totals=inventory_totals(procedures, today),
        latest=take_snapshot(procedures, today),
        targets=target_statuses(procedures, today),
        fiscal_years=fiscal_year_points(procedures, today),
        recorded_snapshots=[_recorded(snapshot) for snapshot in store.list_snapshots()],
        live_procedures=live,
        live_monthly=[row for row in monthly if row.month in recent_months],
    )


def inventory_totals(procedures: list[Procedure], as_of: date) -> InventoryTotals:
    """Count the inventory's procedures, sealed procedures and online procedures as of a date."""
    seal = seal_progress(procedures, as_of)
    overall = online_rate(procedures, as_of)
    return InventoryTotals(
        procedures=len(procedures),
        seal_originally_required=seal.overall.denominator,
        seal_within_prefecture_power=seal.within_prefecture_power.denominator,
        seal_requires_law_change=seal.awaiting_law_change.denominator,
        seal_abolished=seal.overall.numerator,
        online=overall.numerator,
        excluded_from_online_rate=len(procedures) - overall.denominator,
    )


def target_statuses(procedures: list[Procedure], as_of: date) -> list[TargetStatus]:
    """Return every plan target: the outcome of those whose deadline passed, the rest pending."""
    results = {result.target.deadline: result for result in evaluate_targets(procedures, as_of)}
    statuses = []
    for target in ONLINE_RATE_TARGETS:
        result = results.get(target.deadline)
        if result is None:
            statuses.append(TargetStatus(target=target, outcome="pending", rate_at_deadline=None))
        else:
            outcome = "met" if result.met else "missed"
            statuses.append(
                TargetStatus(target=target, outcome=outcome, rate_at_deadline=result.rate_at_deadline)
            )
    return statuses


def fiscal_year_points(procedures: list[Procedure], as_of: date) -> list[FiscalYearPoint]:
    """Compute the KPIs at each fiscal-year end up to ``as_of``.

    The series starts with the fiscal year in which the first procedure went
    online or the first seal was abolished.
    """
    dates = [p.online_since for p in procedures if p.online_since is not None]
    dates += [p.seal_abolished_on for p in procedures if p.seal_abolished_on is not None]
    if not dates:
        return []
    first_year = _fiscal_year_of(min(dates))

    points = []
    for fiscal_year in range(first_year, _fiscal_year_of(as_of) + 1):
        year_end = date(fiscal_year + 1, 3, 31)
        if year_end > as_of:
            break
        points.append(
            FiscalYearPoint(
                fiscal_year=fiscal_year,
                as_of=year_end,
                online_ordinance=online_rate(procedures, year_end, LegalBasis.ORDINANCE),
                online_overall=online_rate(procedures, year_end),
                seal_overall=seal_progress(procedures, year_end).overall,
            )
        )
    return points


def _fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _recorded(snapshot: InventorySnapshot) -> RecordedSnapshot:
    return RecordedSnapshot(
        as_of=snapshot.as_of,
        procedures=snapshot.procedures,
        online_ordinance=snapshot.online_rates.ordinance,
        online_overall=snapshot.online_rates.overall,
        seal_overall=snapshot.seal.overall,
    )


def _threshold() -> int:
    return store.get_inventory_settings().opendata_suppression_threshold


def _without_small_medians(row: MonthlyUsage) -> MonthlyUsage:
    if row.completed >= _threshold():
        return row
    return row.model_copy(update={"median_processing_days": None})


def _live_procedure(
    procedure_id: str,
    title: dict[str, str | None],
    summaries: list[ApplicationSummary],
    procedures: list[Procedure] | None,
) -> LiveProcedure:
    own = [summary for summary in summaries if summary.procedure_id == procedure_id]
    completed = sum(1 for summary in own if summary.completed_at is not None)
    record = next(
        (p for p in procedures or [] if p.definition_id == procedure_id),
        None,
    )
    return LiveProcedure(
        procedure_id=procedure_id,
        title={locale: text or title["ja"] or procedure_id for locale, text in title.items()},
        applications=len(own),
        completed=completed,
        in_progress=sum(1 for summary in own if summary.status not in _FINAL_STATUS_VALUES),
        completed_online_share=completed_online_share(own),
        # A median of a few cases is close to one person's case, so it is shown only
        # from the open-data suppression threshold on, like the published files.
        median_processing_days=median_processing_days(own) if completed >= _threshold() else None,
        inventory=None
        if record is None
        else InventoryRecord(
            procedure_id=record.procedure_id,
            annual_volume=record.annual_volume,
            online_status=record.online_status,
            online_since=record.online_since,
            seal_status=record.seal_status,
        ),
    )
