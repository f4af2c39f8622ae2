"""Digitalisation KPIs of the procedure inventory, at a date and over time.

Online-application rate, as the prefecture's plan defines it::

    online / (all procedures − unsuitable − not cost-effective)

The plan's target (令和3年度末 90%, 令和4年度中 100%) is set for procedures based on
ordinances and the like (条例等に基づく申請), so the headline rate compared with the
targets is the one restricted to ``LegalBasis.ORDINANCE``. The same formula over
all procedures and over law-based procedures is reported next to it. Every
procedure in the inventory counts as an application here, notifications (届出)
included, because the inventory does not separate them.

Figures "as of" a date treat a procedure as online from its ``online_since`` date
and a seal as abolished from its ``seal_abolished_on`` date. Unsuitable and
not-cost-effective procedures leave the denominator at every date, because the
inventory records only their current classification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict, computed_field

from madoguchi.inventory.models import (
    EXCLUDED_FROM_ONLINE_RATE,
    LegalBasis,
    Procedure,
    SealReviewAuthority,
    SealStatus,
)


class Rate(BaseModel):
    """A ratio kept as its two counts, so it can be re-aggregated without rounding."""

    model_config = ConfigDict(frozen=True)

    numerator: int
    denominator: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        """Numerator over denominator, or None when the denominator is 0."""
        return self.numerator / self.denominator if self.denominator else None

    def reaches_percent(self, percent: int) -> bool:
        """Return whether the rate is at least ``percent`` %, computed on integers without rounding."""
        return self.denominator > 0 and self.numerator * 100 >= percent * self.denominator


class RateTarget(BaseModel):
    """A target of the plan for the ordinance-based online-application rate."""

    model_config = ConfigDict(frozen=True)

    deadline: date
    percent: int
    label_ja: str


# 令和3年度末 is the end of fiscal 2021 and 令和4年度中 the end of fiscal 2022.
ONLINE_RATE_TARGETS: tuple[RateTarget, ...] = (
    RateTarget(deadline=date(2022, 3, 31), percent=90, label_ja="令和3年度末 90%"),
    RateTarget(deadline=date(2023, 3, 31), percent=100, label_ja="令和4年度中 100%"),
)


class OnlineRates(BaseModel):
    """Online-application rate over all procedures and per legal basis."""

    model_config = ConfigDict(frozen=True)

    ordinance: Rate  # the plan's headline rate
    law: Rate
    overall: Rate


class SealProgress(BaseModel):
    """Progress of seal abolition against the survey's 4,234 sealed procedures."""

    model_config = ConfigDict(frozen=True)

    overall: Rate  # abolished / every procedure that needed a seal
    within_prefecture_power: Rate  # abolished / 県で見直し可能
    awaiting_law_change: Rate  # abolished / 法令等の改正が必要
    still_required: int  # prefecture can abolish, not yet done
    still_awaiting_law_change: int


class BreakdownRow(BaseModel):
    """KPI counts for one department or one legal basis."""

    model_config = ConfigDict(frozen=True)

    group: str
    procedures: int
    online: int
    excluded_from_rate: int  # unsuitable or not cost-effective
    online_rate: Rate
    seal_originally_required: int
    seal_abolished: int
    seal_awaiting_law_change: int


class TargetResult(BaseModel):
    """Outcome of a plan target: whether the headline rate reached it at the target's deadline."""

    model_config = ConfigDict(frozen=True)

    target: RateTarget
    rate_at_deadline: Rate
    met: bool


class InventorySnapshot(BaseModel):
    """KPI figures of the inventory as of one date."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    procedures: int
    online_rates: OnlineRates
    seal: SealProgress
    next_target: RateTarget | None  # first target whose deadline is on or after as_of
    by_department: list[BreakdownRow]
    by_legal_basis: list[BreakdownRow]


class RateChange(BaseModel):
    """Change of one rate between two snapshots."""

    model_config = ConfigDict(frozen=True)

    earlier: Rate
    later: Rate

    @computed_field  # type: ignore[prop-decorator]
    @property
    def points(self) -> float | None:
        """Change in percentage points, or None if either rate is undefined."""
        if self.earlier.rate is None or self.later.rate is None:
            return None
        return (self.later.rate - self.earlier.rate) * 100

    @computed_field  # type: ignore[prop-decorator]
    @property
    def numerator_change(self) -> int:
        """Change in the numerator, e.g. procedures that went online in between."""
        return self.later.numerator - self.earlier.numerator


class SnapshotComparison(BaseModel):
    """Changes between two snapshots, the earlier one first."""

    model_config = ConfigDict(frozen=True)

    earlier_as_of: date
    later_as_of: date
    online_ordinance: RateChange
    online_law: RateChange
    online_overall: RateChange
    seal_overall: RateChange
    seal_within_prefecture_power: RateChange
    seal_awaiting_law_change: RateChange
    online_by_department: dict[str, RateChange]


# --- figures ----------------------------------------------------------------------------------


def online_rate(
    procedures: Iterable[Procedure], as_of: date, legal_basis: LegalBasis | None = None
) -> Rate:
    """Compute online / (all − unsuitable − not cost-effective) as of a date.

    With ``legal_basis`` only procedures of that basis count, in both numerator and
    denominator. ``LegalBasis.ORDINANCE`` gives the plan's headline rate.
    """
    in_scope = [
        procedure
        for procedure in procedures
        if procedure.online_status not in EXCLUDED_FROM_ONLINE_RATE
        and (legal_basis is None or procedure.legal_basis is legal_basis)
    ]
    online = sum(1 for procedure in in_scope if procedure.is_online_on(as_of))
    return Rate(numerator=online, denominator=len(in_scope))


def online_rates(procedures: Sequence[Procedure], as_of: date) -> OnlineRates:
    """Compute the online-application rate for ordinance-based, law-based and all procedures."""
    return OnlineRates(
        ordinance=online_rate(procedures, as_of, LegalBasis.ORDINANCE),
        law=online_rate(procedures, as_of, LegalBasis.LAW),
        overall=online_rate(procedures, as_of),
    )


def seal_progress(procedures: Sequence[Procedure], as_of: date) -> SealProgress:
    """Compute how many of the procedures that needed a seal had it abolished by a date."""
    sealed = [procedure for procedure in procedures if procedure.originally_required_seal]
    prefecture = [p for p in sealed if p.seal_review_authority is SealReviewAuthority.PREFECTURE]
    law_change = [p for p in sealed if p.seal_review_authority is SealReviewAuthority.LAW_CHANGE]

    def abolished(group: list[Procedure]) -> Rate:
        count = sum(1 for procedure in group if procedure.is_seal_abolished_on(as_of))
        return Rate(numerator=count, denominator=len(group))

    within_power = abolished(prefecture)
    awaiting = abolished(law_change)
    return SealProgress(
        overall=abolished(sealed),
        within_prefecture_power=within_power,
        awaiting_law_change=awaiting,
        still_required=within_power.denominator - within_power.numerator,
        still_awaiting_law_change=awaiting.denominator - awaiting.numerator,
    )


def breakdown(
    procedures: Sequence[Procedure], as_of: date, key: Callable[[Procedure], str]
) -> list[BreakdownRow]:
    """Compute KPI counts per group, e.g. ``key=lambda p: p.department``.

    Groups keep the order in which they first appear in ``procedures``.
    """
    groups: dict[str, list[Procedure]] = {}
    for procedure in procedures:
        groups.setdefault(key(procedure), []).append(procedure)

    rows: list[BreakdownRow] = []
    for group, members in groups.items():
        rate = online_rate(members, as_of)
        rows.append(
            BreakdownRow(
                group=group,
                procedures=len(members),
                online=rate.numerator,
                excluded_from_rate=len(members) - rate.denominator,
                online_rate=rate,
                seal_originally_required=sum(1 for p in members if p.originally_required_seal),
                seal_abolished=sum(1 for p in members if p.is_seal_abolished_on(as_of)),
                seal_awaiting_law_change=sum(
                    1
                    for p in members
                    if p.seal_review_authority is SealReviewAuthority.LAW_CHANGE
                    and not p.is_seal_abolished_on(as_of)
                ),
            )
        )
    return rows


def _department(procedure: Procedure) -> str:
    return procedure.department


def _legal_basis(procedure: Procedure) -> str:
    return procedure.legal_basis.value


# --- snapshots --------------------------------------------------------------------------------


def take_snapshot(procedures: Sequence[Procedure], as_of: date) -> InventorySnapshot:
    """Compute every inventory KPI as of a date."""
    return InventorySnapshot(
        as_of=as_of,
        procedures=len(procedures),
        online_rates=online_rates(procedures, as_of),
        seal=seal_progress(procedures, as_of),
        next_target=next((t for t in ONLINE_RATE_TARGETS if t.deadline >= as_of), None),
        by_department=breakdown(procedures, as_of, _department),
        by_legal_basis=breakdown(procedures, as_of, _legal_basis),
    )


def take_snapshots(
    procedures: Sequence[Procedure], dates: Iterable[date]
) -> list[InventorySnapshot]:
    """Compute a snapshot at each date, in date order, e.g. at each month end for a chart."""
    return [take_snapshot(procedures, day) for day in sorted(dates)]


def evaluate_targets(procedures: Sequence[Procedure], as_of: date) -> list[TargetResult]:
    """Check each plan target whose deadline has passed by ``as_of`` against the headline rate."""
    results: list[TargetResult] = []
    for target in ONLINE_RATE_TARGETS:
        if target.deadline > as_of:
            continue
        rate = online_rate(procedures, target.deadline, LegalBasis.ORDINANCE)
        results.append(
            TargetResult(
                target=target, rate_at_deadline=rate, met=rate.reaches_percent(target.percent)
            )
        )
    return results


def compare_snapshots(first: InventorySnapshot, second: InventorySnapshot) -> SnapshotComparison:
    """Compute the change between two snapshots, whichever order they are passed in.

    A department present in only one snapshot is compared against an empty rate.
    """
    earlier, later = sorted((first, second), key=lambda snapshot: snapshot.as_of)
    empty = Rate(numerator=0, denominator=0)
    earlier_departments = {row.group: row.online_rate for row in earlier.by_department}
    later_departments = {row.group: row.online_rate for row in later.by_department}
    departments = list(dict.fromkeys([*earlier_departments, *later_departments]))

    return SnapshotComparison(
        earlier_as_of=earlier.as_of,
        later_as_of=later.as_of,
        online_ordinance=RateChange(
            earlier=earlier.online_rates.ordinance, later=later.online_rates.ordinance
        ),
        online_law=RateChange(earlier=earlier.online_rates.law, later=later.online_rates.law),
        online_overall=RateChange(
            earlier=earlier.online_rates.overall, later=later.online_rates.overall
        ),
        seal_overall=RateChange(earlier=earlier.seal.overall, later=later.seal.overall),
        seal_within_prefecture_power=RateChange(
            earlier=earlier.seal.within_prefecture_power, later=later.seal.within_prefecture_power
        ),
        seal_awaiting_law_change=RateChange(
            earlier=earlier.seal.awaiting_law_change, later=later.seal.awaiting_law_change
        ),
        online_by_department={
            department: RateChange(
                earlier=earlier_departments.get(department, empty),
                later=later_departments.get(department, empty),
            )
            for department in departments
        },
    )


def seal_counts(procedures: Iterable[Procedure]) -> dict[SealStatus, int]:
    """Count procedures per current seal status, every status present even at 0."""
    counts = dict.fromkeys(SealStatus, 0)
    for procedure in procedures:
        counts[procedure.seal_status] += 1
    return counts
