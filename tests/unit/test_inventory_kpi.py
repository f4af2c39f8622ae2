"""Inventory KPIs on a small inventory whose figures are computed by hand.

| id  | dept       | basis     | seal, authority, abolished on             | online status, since           |
|-----|------------|-----------|-------------------------------------------|--------------------------------|
| P1  | 総務部     | ordinance | required, prefecture                      | online, 2021-06-01             |
| P2  | 総務部     | ordinance | abolished, prefecture, 2021-04-01         | online, no date (always)       |
| P3  | 総務部     | ordinance | abolished, prefecture, 2022-01-15         | planned FY2023 step 2          |
| P4  | 総務部     | ordinance | none                                      | unsuitable                     |
| P5  | 保健福祉部 | ordinance | none                                      | online, 2022-06-01             |
| P6  | 保健福祉部 | ordinance | abolished, law change, 2021-09-01         | not cost-effective             |
| P7  | 保健福祉部 | law       | requires law change                       | online, 2021-01-10             |
| P8  | 環境森林部 | law       | abolished, law change, 2022-04-01         | not started                    |
| P9  | 環境森林部 | law       | none                                      | unsuitable                     |
| P10 | 環境森林部 | law       | abolished, prefecture, 2021-04-01         | online, 2023-01-01             |
"""

from __future__ import annotations

from datetime import date

import pytest
from madoguchi.inventory.kpi import (
    Rate,
    compare_snapshots,
    evaluate_targets,
    online_rate,
    take_snapshot,
    take_snapshots,
)
from madoguchi.inventory.models import (
    LegalBasis,
    OnlineStatus,
    Procedure,
    SealReviewAuthority,
    SealStatus,
)
from pydantic import ValidationError

END_FY2021 = date(2022, 3, 31)
END_FY2022 = date(2023, 3, 31)

_O, _L = LegalBasis.ORDINANCE, LegalBasis.LAW
_PREF, _LAW = SealReviewAuthority.PREFECTURE, SealReviewAuthority.LAW_CHANGE


def procedure(
    number: int,
    department: str,
    legal_basis: LegalBasis,
    seal: SealStatus,
    authority: SealReviewAuthority | None,
    abolished_on: date | None,
    online: OnlineStatus,
    online_since: date | None = None,
) -> Procedure:
    planned = online is OnlineStatus.PLANNED
    return Procedure(
        procedure_id=f"P{number}",
        name=f"手続{number}",
        department=department,
        legal_basis=legal_basis,
        seal_status=seal,
        seal_review_authority=authority,
        seal_abolished_on=abolished_on,
        online_status=online,
        online_since=online_since,
        target_fiscal_year=2023 if planned else None,
        plan_step=2 if planned else None,
        annual_volume=100,
    )


@pytest.fixture
def inventory() -> list[Procedure]:
    return [
        procedure(
            1, "総務部", _O, SealStatus.REQUIRED, _PREF, None, OnlineStatus.ONLINE, date(2021, 6, 1)
        ),
        procedure(
            2, "総務部", _O, SealStatus.ABOLISHED, _PREF, date(2021, 4, 1), OnlineStatus.ONLINE
        ),
        procedure(
            3, "総務部", _O, SealStatus.ABOLISHED, _PREF, date(2022, 1, 15), OnlineStatus.PLANNED
        ),
        procedure(4, "総務部", _O, SealStatus.NONE, None, None, OnlineStatus.UNSUITABLE),
        procedure(
            5, "保健福祉部", _O, SealStatus.NONE, None, None, OnlineStatus.ONLINE, date(2022, 6, 1)
        ),
        procedure(
            6,
            "保健福祉部",
            _O,
            SealStatus.ABOLISHED,
            _LAW,
            date(2021, 9, 1),
            OnlineStatus.NOT_COST_EFFECTIVE,
        ),
        procedure(
            7,
            "保健福祉部",
            _L,
            SealStatus.REQUIRES_LAW_CHANGE,
            _LAW,
            None,
            OnlineStatus.ONLINE,
            date(2021, 1, 10),
        ),
        procedure(
            8,
            "環境森林部",
            _L,
            SealStatus.ABOLISHED,
            _LAW,
            date(2022, 4, 1),
            OnlineStatus.NOT_STARTED,
        ),
        procedure(9, "環境森林部", _L, SealStatus.NONE, None, None, OnlineStatus.UNSUITABLE),
        procedure(
            10,
            "環境森林部",
            _L,
            SealStatus.ABOLISHED,
            _PREF,
            date(2021, 4, 1),
            OnlineStatus.ONLINE,
            date(2023, 1, 1),
        ),
    ]


def rate(numerator: int, denominator: int) -> Rate:
    return Rate(numerator=numerator, denominator=denominator)


def test_online_rate_end_fy2021(inventory: list[Procedure]) -> None:
    snapshot = take_snapshot(inventory, END_FY2021)

    # Ordinance in scope: P1 P2 P3 P5 (P4 unsuitable, P6 not cost-effective); online P1 P2.
    assert snapshot.online_rates.ordinance == rate(2, 4)
    # Law in scope: P7 P8 P10 (P9 unsuitable); online P7, P10 only from 2023.
    assert snapshot.online_rates.law == rate(1, 3)
    assert snapshot.online_rates.overall == rate(3, 7)
    assert snapshot.online_rates.ordinance.rate == 0.5


def test_online_rate_end_fy2022(inventory: list[Procedure]) -> None:
    snapshot = take_snapshot(inventory, END_FY2022)

    assert snapshot.online_rates.ordinance == rate(3, 4)
    assert snapshot.online_rates.law == rate(2, 3)
    assert snapshot.online_rates.overall == rate(5, 7)


def test_seal_progress_end_fy2021(inventory: list[Procedure]) -> None:
    seal = take_snapshot(inventory, END_FY2021).seal

    # Sealed: P1 P2 P3 P6 P7 P8 P10. Abolished by then: P2 P3 P6 P10 (P8 from 2022-04-01).
    assert seal.overall == rate(4, 7)
    assert seal.within_prefecture_power == rate(3, 4)
    assert seal.awaiting_law_change == rate(1, 3)
    assert seal.still_required == 1
    assert seal.still_awaiting_law_change == 2


def test_seal_progress_end_fy2022(inventory: list[Procedure]) -> None:
    seal = take_snapshot(inventory, END_FY2022).seal

    assert seal.overall == rate(5, 7)
    assert seal.within_prefecture_power == rate(3, 4)
    assert seal.awaiting_law_change == rate(2, 3)
    assert seal.still_awaiting_law_change == 1


def test_breakdown_by_department(inventory: list[Procedure]) -> None:
    rows = {row.group: row for row in take_snapshot(inventory, END_FY2022).by_department}

    assert list(rows) == ["総務部", "保健福祉部", "環境森林部"]
    general = rows["総務部"]
    assert general.procedures == 4
    assert general.excluded_from_rate == 1
    assert general.online_rate == rate(2, 3)
    assert general.seal_originally_required == 3
    assert general.seal_abolished == 2
    assert general.seal_awaiting_law_change == 0

    health = rows["保健福祉部"]
    assert health.online_rate == rate(2, 2)
    assert health.seal_originally_required == 2
    assert health.seal_abolished == 1
    assert health.seal_awaiting_law_change == 1

    environment = rows["環境森林部"]
    assert environment.online_rate == rate(1, 2)
    assert environment.seal_abolished == 2


def test_breakdown_by_legal_basis(inventory: list[Procedure]) -> None:
    rows = {row.group: row for row in take_snapshot(inventory, END_FY2022).by_legal_basis}

    assert rows["ordinance"].procedures == 6
    assert rows["ordinance"].excluded_from_rate == 2
    assert rows["ordinance"].online == 3
    assert rows["law"].procedures == 4
    assert rows["law"].online_rate == rate(2, 3)


def test_online_rate_filters_legal_basis(inventory: list[Procedure]) -> None:
    assert online_rate(inventory, END_FY2022, LegalBasis.ORDINANCE) == rate(3, 4)
    assert online_rate([], END_FY2022).rate is None


def test_targets_evaluated_at_deadlines(inventory: list[Procedure]) -> None:
    results = evaluate_targets(inventory, date(2023, 4, 1))

    assert [result.target.percent for result in results] == [90, 100]
    assert results[0].rate_at_deadline == rate(2, 4)
    assert results[0].met is False
    assert results[1].rate_at_deadline == rate(3, 4)
    assert results[1].met is False
    assert evaluate_targets(inventory, date(2022, 3, 30)) == []


def test_rate_reaches_percent_exactly() -> None:
    assert rate(9, 10).reaches_percent(90)
    assert not rate(899, 1000).reaches_percent(90)
    assert rate(4, 4).reaches_percent(100)
    assert not rate(0, 0).reaches_percent(0)


def test_snapshot_next_target(inventory: list[Procedure]) -> None:
    assert take_snapshot(inventory, date(2021, 10, 1)).next_target.percent == 90
    assert take_snapshot(inventory, date(2022, 4, 1)).next_target.percent == 100
    assert take_snapshot(inventory, date(2023, 4, 1)).next_target is None


def test_compare_snapshots(inventory: list[Procedure]) -> None:
    earlier, later = take_snapshots(inventory, [END_FY2022, END_FY2021])

    comparison = compare_snapshots(later, earlier)

    assert comparison.earlier_as_of == END_FY2021
    assert comparison.later_as_of == END_FY2022
    assert comparison.online_ordinance.points == pytest.approx(25.0)
    assert comparison.online_ordinance.numerator_change == 1
    assert comparison.online_overall.numerator_change == 2
    assert comparison.seal_overall.numerator_change == 1
    assert comparison.seal_awaiting_law_change.numerator_change == 1
    assert comparison.online_by_department["環境森林部"].numerator_change == 1
    assert comparison.online_by_department["総務部"].points == pytest.approx(0.0)


def test_snapshot_serialises_for_api(inventory: list[Procedure]) -> None:
    body = take_snapshot(inventory, END_FY2021).model_dump(mode="json")

    assert body["as_of"] == "2022-03-31"
    assert body["online_rates"]["ordinance"] == {"numerator": 2, "denominator": 4, "rate": 0.5}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"seal_status": SealStatus.REQUIRED, "seal_review_authority": None},
            "seal_review_authority",
        ),
        ({"online_status": OnlineStatus.PLANNED}, "target_fiscal_year"),
        ({"online_since": date(2021, 1, 1)}, "online_since"),
    ],
)
def test_procedure_rejects_inconsistent_fields(changes: dict, field: str) -> None:
    values = {
        "procedure_id": "P1",
        "name": "手続",
        "department": "総務部",
        "legal_basis": LegalBasis.ORDINANCE,
        "seal_status": SealStatus.NONE,
        "online_status": OnlineStatus.NOT_STARTED,
        "annual_volume": 1,
    }

    with pytest.raises(ValidationError, match=field):
        Procedure(**(values | changes))
