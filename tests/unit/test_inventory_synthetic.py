"""Synthetic inventory generator against the 2020 survey totals."""

from __future__ import annotations

from datetime import date

import pytest
from madoguchi.inventory.kpi import take_snapshot
from madoguchi.inventory.models import OnlineStatus, SealReviewAuthority
from madoguchi.inventory.synthetic import generate_application_summaries, generate_inventory
from madoguchi.inventory.usage import ApplicationSummary


@pytest.mark.parametrize("seed", [20201106, 1, 42])
def test_generator_reproduces_survey_totals(seed: int) -> None:
    procedures = generate_inventory(seed)

    sealed = [p for p in procedures if p.originally_required_seal]
    assert len(procedures) == 5264
    assert len(sealed) == 4234
    assert sum(p.seal_review_authority is SealReviewAuthority.PREFECTURE for p in sealed) == 2901
    assert sum(p.seal_review_authority is SealReviewAuthority.LAW_CHANGE for p in sealed) == 1333


def test_generator_totals_match_seal_kpi() -> None:
    seal = take_snapshot(generate_inventory(), date(2020, 11, 6)).seal

    assert seal.overall.denominator == 4234
    assert seal.within_prefecture_power.denominator == 2901
    assert seal.awaiting_law_change.denominator == 1333


def test_generator_is_deterministic() -> None:
    assert generate_inventory(3) == generate_inventory(3)
    assert generate_inventory(3) != generate_inventory(4)


def test_generator_ids_unique() -> None:
    ids = [p.procedure_id for p in generate_inventory()]

    assert len(set(ids)) == len(ids)


def test_generator_links_madoguchi_procedures() -> None:
    linked = {p.definition_id: p for p in generate_inventory() if p.definition_id}

    assert set(linked) == {"cook-employment-notification", "hunting-licence-exam", "cook-licence"}
    assert all(p.online_status is OnlineStatus.ONLINE for p in linked.values())
    assert linked["hunting-licence-exam"].department == "環境森林部"


def test_generator_online_rate_rises_over_time() -> None:
    procedures = generate_inventory()

    rates = [
        take_snapshot(procedures, day).online_rates.ordinance.rate
        for day in (date(2020, 9, 30), date(2021, 3, 31), date(2022, 3, 31), date(2023, 3, 31))
    ]

    assert rates == sorted(rates)
    assert rates[0] < 0.05
    assert rates[-1] > 0.8


def test_generator_covers_every_online_status() -> None:
    statuses = {p.online_status for p in generate_inventory()}

    assert statuses == set(OnlineStatus)


def test_application_summaries_are_valid() -> None:
    summaries = [ApplicationSummary(**raw) for raw in generate_application_summaries(months=3)]

    assert summaries
    assert summaries == [
        ApplicationSummary(**raw) for raw in generate_application_summaries(months=3)
    ]
    assert {s.procedure_id for s in summaries} == {
        "cook-employment-notification",
        "hunting-licence-exam",
        "cook-licence",
    }
