"""Open-data files: small-count suppression, dictionaries, licence and validation."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from madoguchi.inventory import opendata
from madoguchi.inventory.opendata import (
    CATALOG,
    MONTHLY_USAGE,
    PAYMENT_METHODS,
    OpenDataset,
    Publisher,
    build_catalog,
    build_monthly_usage,
    build_payment_methods,
    data_dictionary,
    to_csv_bytes,
    to_json_bytes,
    to_json_document,
)
from madoguchi.inventory.suppression import suppress_group
from madoguchi.inventory.synthetic import generate_application_summaries, generate_inventory
from madoguchi.inventory.usage import ApplicationSummary
from madoguchi.inventory.validation import validate_csv, validate_json

PUBLISHER = Publisher(name_ja="テスト県", name_en="Test Prefecture")
JST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("members", "total", "expected_hidden", "expected_total_hidden"),
    [
        ([15, 20], 35, set(), False),  # nothing small
        ([0, 0, 12], 12, set(), False),  # zero identifies no one
        ([3, 12, 20], 35, {0, 1}, False),  # 3 alone would be total minus 32
        ([3, 0, 40], 43, {0, 1, 2}, False),  # hidden 3 + 0 would still be 3
        ([4, 5, 30], 39, {0, 1, 2}, False),  # hidden 4 + 5 = 9 is still small
        ([6, 7, 30], 43, {0, 1}, False),  # hidden 6 + 7 = 13
        ([3, 4], 7, {0, 1}, True),  # total itself small
        ([3, 12], None, {0}, False),  # no total published, primary only
    ],
)
def test_suppress_group(
    members: list[int], total: int | None, expected_hidden: set[int], expected_total_hidden: bool
) -> None:
    hidden, total_hidden = suppress_group(members, total, threshold=10)

    assert hidden == expected_hidden
    assert total_hidden is expected_total_hidden


def test_suppress_group_rejects_wrong_total() -> None:
    with pytest.raises(ValueError, match="not the sum"):
        suppress_group([1, 2], 4, threshold=10)


def application(procedure_id: str, day: int, channel: str = "online", payment: str | None = None):
    submitted_at = datetime(2023, 5, day, 10, 0, tzinfo=JST)
    return ApplicationSummary(
        procedure_id=procedure_id,
        submitted_at=submitted_at,
        status="completed",
        completed_at=submitted_at + timedelta(days=2),
        channel=channel,
        payment_method=payment,
    )


def small_month() -> list[ApplicationSummary]:
    """May 2023: 3 hunting exams, 12 cook licences, 20 cook employment notifications."""
    return (
        [application("hunting-licence-exam", 1, payment="pay_easy") for _ in range(3)]
        + [application("cook-licence", 2, payment="credit_card") for _ in range(12)]
        + [application("cook-employment-notification", 3) for _ in range(20)]
    )


def rows_by_procedure(dataset: OpenDataset) -> dict[str, tuple[dict, frozenset[str]]]:
    return {
        record["procedure_id"]: (record, hidden)
        for record, hidden in zip(dataset.records, dataset.suppressed, strict=True)
    }


def test_monthly_usage_hides_small_count_and_next_smallest() -> None:
    dataset = build_monthly_usage(small_month())

    rows = rows_by_procedure(dataset)
    hunting, hunting_hidden = rows["hunting-licence-exam"]
    cook, cook_hidden = rows["cook-licence"]
    employment, employment_hidden = rows["cook-employment-notification"]
    total, total_hidden = rows["ALL"]

    assert hunting["applications"] is None
    assert "applications" in hunting_hidden
    assert "median_processing_days" in hunting_hidden
    assert cook["applications"] is None  # secondary suppression
    assert "applications" in cook_hidden
    assert employment["applications"] == 20
    assert employment_hidden == frozenset()
    assert total["applications"] == 35
    assert total_hidden == frozenset()


def test_monthly_usage_hidden_cells_not_recoverable() -> None:
    dataset = build_monthly_usage(small_month())

    rows = rows_by_procedure(dataset)
    members = [rows[key] for key in rows if key != "ALL"]
    total = rows["ALL"][0]
    visible = sum(
        record["applications"] for record, hidden in members if "applications" not in hidden
    )
    hidden_count = sum("applications" in hidden for _record, hidden in members)

    assert hidden_count >= 2
    assert total["applications"] - visible >= 10  # only the sum 15 of the hidden cells is known


def test_monthly_usage_small_total_hidden() -> None:
    dataset = build_monthly_usage([application("hunting-licence-exam", 1) for _ in range(4)])

    total, total_hidden = rows_by_procedure(dataset)["ALL"]

    assert total["applications"] is None
    assert {
        "applications",
        "completed",
        "completed_online",
        "median_processing_days",
    } <= total_hidden


def test_threshold_configurable() -> None:
    dataset = build_monthly_usage(small_month(), threshold=3)

    hunting, hidden = rows_by_procedure(dataset)["hunting-licence-exam"]

    assert hunting["applications"] == 3
    assert hidden == frozenset()


def test_payment_methods_suppressed() -> None:
    dataset = build_payment_methods(small_month())

    by_method = {r["payment_method"]: r for r in dataset.records}

    assert by_method["pay_easy"]["applications"] is None
    assert by_method["credit_card"]["applications"] is None
    assert by_method["ALL"]["applications"] == 15


def test_catalog_hides_small_annual_volume() -> None:
    dataset = build_catalog(generate_inventory()[:200])

    for record, hidden in zip(dataset.records, dataset.suppressed, strict=True):
        if "annual_volume" in hidden:
            assert record["annual_volume"] is None
        else:
            assert record["annual_volume"] == 0 or record["annual_volume"] >= 10
    assert "notes" not in dataset.records[0]


def synthetic_datasets() -> list[OpenDataset]:
    applications = [ApplicationSummary(**raw) for raw in generate_application_summaries()]
    return [
        build_catalog(generate_inventory()),
        build_monthly_usage(applications, {"cook-licence": "調理師免許申請"}),
        build_payment_methods(applications),
    ]


@pytest.mark.parametrize("dataset", synthetic_datasets(), ids=lambda d: d.spec.name)
def test_csv_validates_against_dictionary(dataset: OpenDataset) -> None:
    dictionary = data_dictionary(dataset.spec, PUBLISHER, dataset.threshold)

    assert validate_csv(to_csv_bytes(dataset), dictionary) == []


@pytest.mark.parametrize("dataset", synthetic_datasets(), ids=lambda d: d.spec.name)
def test_json_validates_against_dictionary(dataset: OpenDataset) -> None:
    dictionary = data_dictionary(dataset.spec, PUBLISHER, dataset.threshold)

    document = json.loads(to_json_bytes(dataset, PUBLISHER))

    assert validate_json(document, dictionary) == []


def test_csv_uses_bom_japanese_headers_and_labels() -> None:
    data = to_csv_bytes(build_catalog(generate_inventory()[:5]))

    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))

    assert data.startswith(b"\xef\xbb\xbf")
    assert rows[0][:4] == ["手続ID", "手続名", "所管部局", "根拠区分"]
    assert rows[0][-1] == "秘匿項目"
    assert rows[1][3] in ("法律・政令", "条例等")


def test_validator_rejects_revealed_small_count() -> None:
    dataset = build_monthly_usage(small_month())
    dictionary = data_dictionary(MONTHLY_USAGE, PUBLISHER)
    text = to_csv_bytes(dataset).decode("utf-8-sig")
    tampered = text.replace(
        "2023-05,hunting-licence-exam,,,,,,申請件数;完了件数;オンライン完了件数;処理日数中央値",
        "2023-05,hunting-licence-exam,,3,,,,完了件数;オンライン完了件数;処理日数中央値",
    )
    assert tampered != text

    issues = validate_csv(tampered.encode("utf-8-sig"), dictionary)

    assert any("shows the count 3, below the threshold 10" in issue for issue in issues)
    assert any("one hidden cell can be recovered" in issue for issue in issues)


def test_validator_rejects_bad_json_values() -> None:
    dataset = build_catalog(generate_inventory()[:3])
    dictionary = data_dictionary(CATALOG, PUBLISHER)
    document = to_json_document(dataset, PUBLISHER)
    document["records"][0]["legal_basis"] = "法律・政令"
    document["records"][1]["fee_yen"] = "1000"
    document["records"][2]["suppressed"] = ["name"]

    issues = validate_json(document, dictionary)

    assert any("record 0, key 'legal_basis'" in issue for issue in issues)
    assert any(
        "record 1, key 'fee_yen': value '1000' is not an integer" in issue for issue in issues
    )
    assert any(
        "record 2, column 'name': is flagged as suppressed but is not suppressible" in i
        for i in issues
    )


def test_validator_rejects_csv_without_bom() -> None:
    data = to_csv_bytes(build_catalog(generate_inventory()[:3]))

    issues = validate_csv(data.removeprefix(b"\xef\xbb\xbf"), data_dictionary(CATALOG, PUBLISHER))

    assert issues == ["CSV file does not start with a UTF-8 byte order mark"]


def test_dictionary_describes_columns_and_licence() -> None:
    dictionary = data_dictionary(PAYMENT_METHODS, PUBLISHER, threshold=5)

    assert dictionary["license"]["id"] == "CC-BY-4.0"
    assert dictionary["license"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "政府標準利用規約（第2.0版）" in dictionary["license"]["compatibility"]["ja"]
    assert dictionary["license"]["attribution"]["ja"].startswith("出典：テスト県")
    assert dictionary["suppression"]["threshold"] == 5
    assert "5件未満" in dictionary["suppression"]["rule"]["ja"]
    assert [c["key"] for c in dictionary["columns"]] == ["month", "payment_method", "applications"]
    assert dictionary["columns"][2]["name"] == {"ja": "申請件数", "en": "Applications"}


def test_dictionary_lists_allowed_values() -> None:
    columns = {c["key"]: c for c in data_dictionary(CATALOG, PUBLISHER)["columns"]}

    assert columns["seal_status"]["allowed_values"] == [
        {"code": "required", "ja": "要", "en": "Required"},
        {"code": "abolished", "ja": "廃止済", "en": "Abolished"},
        {"code": "requires_law_change", "ja": "法改正待ち", "en": "Awaiting law change"},
        {"code": "none", "ja": "不要", "en": "Never required"},
    ]
    assert columns["name"]["allowed_values"] is None


def test_every_dictionary_is_json_serialisable() -> None:
    for dictionary in opendata.all_dictionaries(PUBLISHER):
        assert json.loads(json.dumps(dictionary, ensure_ascii=False)) == dictionary
