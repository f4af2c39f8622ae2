"""Dashboard figures and chart geometry computed from the synthetic inventory, without AWS."""

from __future__ import annotations

from datetime import date

from madoguchi.inventory.dashboard import fiscal_year_points, inventory_totals, target_statuses
from madoguchi.inventory.kpi import Rate
from madoguchi.inventory.synthetic import generate_inventory
from madoguchi.web.dashboard_page import BAR_AREA, BAR_START, format_percent, rate_chart

INVENTORY = generate_inventory()


def test_totals_match_survey() -> None:
    totals = inventory_totals(INVENTORY, date(2024, 4, 1))

    assert totals.procedures == 5_264
    assert totals.seal_originally_required == 4_234
    assert totals.seal_within_prefecture_power == 2_901
    assert totals.seal_requires_law_change == 1_333


def test_fiscal_year_points_end_on_31_march() -> None:
    points = fiscal_year_points(INVENTORY, date(2023, 3, 30))

    assert [point.as_of for point in points] == [date(2021, 3, 31), date(2022, 3, 31)]
    assert [point.fiscal_year for point in points] == [2020, 2021]
    assert points[0].online_ordinance.numerator < points[1].online_ordinance.numerator


def test_fiscal_year_points_include_year_ending_today() -> None:
    points = fiscal_year_points(INVENTORY, date(2023, 3, 31))

    assert points[-1].as_of == date(2023, 3, 31)


def test_target_statuses_pending_before_deadline() -> None:
    statuses = target_statuses(INVENTORY, date(2022, 3, 30))

    assert [status.outcome for status in statuses] == ["pending", "pending"]
    assert statuses[0].rate_at_deadline is None


def test_target_statuses_judged_after_deadline() -> None:
    statuses = target_statuses(INVENTORY, date(2022, 3, 31))

    assert statuses[0].outcome in ("met", "missed")
    assert statuses[0].rate_at_deadline is not None
    assert statuses[1].outcome == "pending"


def test_rate_chart_scales_bars_and_targets() -> None:
    chart = rate_chart(
        "chart-test",
        "Rate",
        [("half", Rate(numerator=1, denominator=2)), ("none", Rate(numerator=0, denominator=0))],
        [("90% by 2022-03-31", 90), ("100% by 2023-03-31", 100)],
    )

    assert chart.bars[0].width == BAR_AREA / 2
    assert chart.bars[1].width == 0
    assert chart.bars[1].display == "—"
    assert [marker.x for marker in chart.markers] == [BAR_START + BAR_AREA * 0.9, BAR_START + BAR_AREA]
    assert [marker.anchor for marker in chart.markers] == ["end", "start"]
    assert "half 50.0%" in chart.summary
    assert "90% by 2022-03-31" in chart.summary


def test_format_percent_one_decimal() -> None:
    assert format_percent(Rate(numerator=2, denominator=3)) == "66.7%"
    assert format_percent(None) == "—"
