"""Survey CSV import and export of the procedure inventory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from madoguchi.inventory.csv_io import (
    COLUMNS,
    InventoryCsvError,
    decode_csv_bytes,
    read_inventory_csv,
    write_inventory_csv,
)
from madoguchi.inventory.models import (
    LegalBasis,
    OnlineStatus,
    Procedure,
    SealReviewAuthority,
    SealStatus,
)
from madoguchi.inventory.synthetic import generate_inventory

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inventory"
HEADER = ",".join(column.header for column in COLUMNS)


def small_survey_text() -> str:
    return (FIXTURES / "survey_small.csv").read_text(encoding="utf-8")


def problems_by_cell(error: InventoryCsvError) -> dict[tuple[int | None, str | None], str]:
    return {(problem.row, problem.column): problem.key for problem in error.problems}


@pytest.mark.parametrize(
    ("encoding", "expected_detected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp932", "cp932")],
)
def test_import_accepts_each_encoding(encoding: str, expected_detected: str) -> None:
    data = small_survey_text().encode(encoding)

    _text, detected = decode_csv_bytes(data)
    procedures = read_inventory_csv(data)

    assert detected == expected_detected
    assert [p.procedure_id for p in procedures] == [f"PR-0000{n}" for n in range(1, 6)]
    assert procedures[1].notes == "髙橋係長が担当"


def test_import_parses_survey_values() -> None:
    procedures = {
        p.procedure_id: p for p in read_inventory_csv(small_survey_text().encode("utf-8"))
    }

    cook = procedures["PR-00001"]
    assert cook.legal_basis is LegalBasis.LAW
    assert cook.seal_status is SealStatus.ABOLISHED
    assert cook.seal_review_authority is SealReviewAuthority.LAW_CHANGE
    assert cook.seal_abolished_on == date(2021, 9, 1)
    assert cook.online_since == date(2022, 10, 3)
    assert cook.fee_yen == 5600
    assert cook.definition_id == "cook-licence"

    facility = procedures["PR-00003"]
    assert facility.legal_basis is LegalBasis.ORDINANCE
    assert facility.online_status is OnlineStatus.PLANNED
    assert facility.target_fiscal_year == 2023
    assert facility.plan_step == 2
    assert facility.annual_volume == 1250
    assert facility.fee_yen is None
    assert facility.notes == "会議室, 体育館を含む"

    assert procedures["PR-00004"].seal_status is SealStatus.NONE
    assert procedures["PR-00004"].seal_review_authority is None
    assert procedures["PR-00005"].seal_status is SealStatus.REQUIRES_LAW_CHANGE
    assert procedures["PR-00005"].online_status is OnlineStatus.UNSUITABLE


def test_import_bad_rows_rejects_whole_file() -> None:
    data = (FIXTURES / "survey_bad_rows.csv").read_bytes()

    with pytest.raises(InventoryCsvError) as raised:
        read_inventory_csv(data)

    problems = problems_by_cell(raised.value)
    assert problems == {
        (3, "押印廃止日"): "invalid_date",
        (4, "年間件数"): "invalid_integer",
        (5, "手続ID"): "duplicate_id",
        (6, "オンライン化目標年度"): "planned_needs_target_year",
        (6, "オンライン化段階"): "planned_needs_step",
    }


def test_import_error_messages_name_row_and_column() -> None:
    data = (FIXTURES / "survey_bad_rows.csv").read_bytes()

    with pytest.raises(InventoryCsvError) as raised:
        read_inventory_csv(data)

    japanese = raised.value.messages("ja")
    english = raised.value.messages("en")
    assert (
        japanese[0]
        == "3行目「押印廃止日」列: 「2021/2/30」は日付として読めません。2021/4/1 または 2021-04-01 の形で入力してください。"
    )
    assert (
        english[0]
        == 'Row 3, column "押印廃止日": "2021/2/30" is not a valid date. Enter it as 2021/4/1 or 2021-04-01.'
    )
    assert "5行目「手続ID」列" in japanese[2]
    assert "2行目" in japanese[2]
    assert len(english) == 5


def test_import_rejects_bad_choice_with_allowed_values() -> None:
    text = small_survey_text().replace("法律・政令,法改正待ち", "国の法律,法改正待ち")

    with pytest.raises(InventoryCsvError) as raised:
        read_inventory_csv(text.encode("utf-8"))

    assert problems_by_cell(raised.value) == {(6, "根拠区分"): "invalid_choice"}
    assert "法律・政令 / 条例等" in raised.value.messages("en")[0]


def test_import_header_problems_reported_together() -> None:
    header = HEADER.replace("押印,", "押印欄,").replace(",年間件数", ",年間件数,手続名")
    data = (header + "\r\n").encode("utf-8")

    with pytest.raises(InventoryCsvError) as raised:
        read_inventory_csv(data)

    assert problems_by_cell(raised.value) == {
        (1, "押印欄"): "unknown_column",
        (1, "手続名"): "duplicate_column",
        (1, "押印"): "missing_column",
    }


def test_import_accepts_reordered_and_missing_optional_columns() -> None:
    text = (
        "年間件数,手続ID,手続名,所管部局,根拠区分,押印,押印見直し区分,オンライン化状況\r\n"
        "１，２００,PR-1,道路占用許可申請,県土整備部,法令,廃止済み,県で見直し可能,済\r\n"
    )

    procedures = read_inventory_csv(text.encode("cp932"))

    assert procedures[0].annual_volume == 1200
    assert procedures[0].seal_status is SealStatus.ABOLISHED
    assert procedures[0].online_status is OnlineStatus.ONLINE


def test_import_skips_blank_rows_but_counts_them() -> None:
    text = (
        small_survey_text().rstrip("\n")
        + "\n,,,,,,,,,,,,,,\nPR-9,x,総務部,条例等,不要,,,未着手,,,,,abc,,\n"
    )

    with pytest.raises(InventoryCsvError) as raised:
        read_inventory_csv(text.encode("utf-8"))

    assert problems_by_cell(raised.value) == {(8, "年間件数"): "invalid_integer"}


def test_import_rejects_missing_required_value() -> None:
    text = HEADER + "\nPR-1,,総務部,条例等,不要,,,未着手,,,,,1,,\n"

    with pytest.raises(InventoryCsvError) as raised:
        read_inventory_csv(text.encode("utf-8"))

    assert problems_by_cell(raised.value) == {(2, "手続名"): "required"}


def test_import_rejects_inconsistent_seal_columns() -> None:
    rows = [
        "PR-1,a,総務部,条例等,要,,,未着手,,,,,1,,",
        "PR-2,b,総務部,条例等,不要,県で見直し可能,,未着手,,,,,1,,",
        "PR-3,c,総務部,条例等,要,法令等の改正が必要,,未着手,,,,,1,,",
        "PR-4,d,総務部,条例等,法改正待ち,県で見直し可能,,未着手,,,,,1,,",
        "PR-5,e,総務部,条例等,要,県で見直し可能,2021/4/1,オンライン化予定,令和5年度,1,2021/4/1,,1,,",
    ]
    data = "\n".join([HEADER, *rows]).encode("utf-8")

    with pytest.raises(InventoryCsvError) as raised:
        read_inventory_csv(data)

    assert problems_by_cell(raised.value) == {
        (2, "押印見直し区分"): "authority_missing",
        (3, "押印見直し区分"): "authority_without_seal",
        (4, "押印見直し区分"): "required_but_law_change",
        (5, "押印見直し区分"): "law_change_authority_expected",
        (6, "押印廃止日"): "date_only_when_abolished",
        (6, "オンライン化日"): "date_only_when_online",
    }


def test_import_rejects_utf16_and_unknown_encoding() -> None:
    with pytest.raises(InventoryCsvError) as utf16:
        read_inventory_csv(small_survey_text().encode("utf-16"))
    with pytest.raises(InventoryCsvError) as unknown:
        read_inventory_csv(b"\x82\xa0\xff\xfe\x80" * 3)

    assert problems_by_cell(utf16.value) == {(None, None): "utf16_not_supported"}
    assert problems_by_cell(unknown.value) == {(None, None): "unknown_encoding"}
    assert unknown.value.messages("ja")[0].startswith("ファイルを読み込めません: ")


def test_import_rejects_empty_file() -> None:
    with pytest.raises(InventoryCsvError) as raised:
        read_inventory_csv(b"")

    assert problems_by_cell(raised.value) == {(None, None): "empty_file"}


def test_round_trip_small_fixture() -> None:
    procedures = read_inventory_csv(small_survey_text().encode("utf-8"))

    for encoding in ("utf-8-sig", "cp932"):
        assert read_inventory_csv(write_inventory_csv(procedures, encoding)) == procedures


def test_round_trip_synthetic_inventory() -> None:
    procedures = generate_inventory(seed=7)

    exported = write_inventory_csv(procedures)

    assert exported.startswith(b"\xef\xbb\xbf")
    assert read_inventory_csv(exported) == procedures


def test_export_writes_fiscal_year_and_labels_in_japanese() -> None:
    procedures = read_inventory_csv(small_survey_text().encode("utf-8"))

    text = write_inventory_csv(procedures).decode("utf-8-sig")

    assert text.splitlines()[0] == HEADER
    assert (
        "PR-00003,県有施設使用許可申請,総務部,条例等,要,県で見直し可能,,オンライン化予定,令和5年度,2,"
        in text
    )


def make_procedure(name: str, notes: str | None = None) -> Procedure:
    return Procedure(
        procedure_id="PR-1",
        name=name,
        department="総務部",
        legal_basis=LegalBasis.ORDINANCE,
        seal_status=SealStatus.NONE,
        online_status=OnlineStatus.NOT_STARTED,
        annual_volume=1,
        notes=notes,
    )


def test_export_cp932_rejects_characters_it_lacks() -> None:
    procedures = [
        make_procedure("髙等学校施設使用申請"),
        make_procedure("𠮷野川占用許可申請", notes="𠮷田"),
    ]

    with pytest.raises(InventoryCsvError) as raised:
        write_inventory_csv(procedures, "cp932")

    assert problems_by_cell(raised.value) == {
        (3, "手続名"): "not_encodable_cp932",
        (3, "備考"): "not_encodable_cp932",
    }
    assert "U+20BB7" in raised.value.messages("en")[0]


def test_export_cp932_keeps_ibm_extension_kanji() -> None:
    procedures = [make_procedure("髙等学校施設使用申請")]

    exported = write_inventory_csv(procedures, "cp932")

    assert read_inventory_csv(exported) == procedures


def test_export_protects_formula_cells_and_reads_them_back() -> None:
    procedures = [make_procedure('=HYPERLINK("http://example.invalid")', notes="-危険")]

    exported = write_inventory_csv(procedures)

    assert "'=HYPERLINK" in exported.decode("utf-8-sig")
    assert read_inventory_csv(exported) == procedures
