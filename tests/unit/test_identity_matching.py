"""Tests of matching verified attributes against typed answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from madoguchi.identity.matching import (
    address_key,
    addresses_match,
    match_identity,
    name_key,
    names_match,
)
from madoguchi.procedures.loader import load_definition

PROCEDURES = Path(__file__).resolve().parents[2] / "procedures"
CARD_ADDRESS = "栃木県宇都宮市塙田一丁目1番20号"


@pytest.mark.parametrize(
    ("typed", "verified"),
    [
        ("高橋", "髙橋"),
        ("山崎", "山﨑"),
        ("斎藤", "齋藤"),
        ("渡辺", "渡邊"),
        ("山田　太郎", "山田 太郎"),
        ("山田 太郎", "山田太郎"),
        ("やまだ たろう", "ヤマダ タロウ"),
        ("ﾔﾏﾀﾞ", "ヤマダ"),
        ("キヨウコ", "キョウコ"),
        ("John Smith", "SMITH JOHN"),
        ("ｊｏｈｎ ｓｍｉｔｈ", "SMITH JOHN"),
    ],
)
def test_names_fold_to_same_key(typed: str, verified: str) -> None:
    assert names_match(typed, verified)


@pytest.mark.parametrize(("typed", "verified"), [("山崎", "埼玉"), ("高橋 咲子", "髙橋 﨑子"), ("John Smith", "SMITH JANE")])
def test_different_names_differ(typed: str, verified: str) -> None:
    assert not names_match(typed, verified)


def test_name_key_keeps_input() -> None:
    typed = "髙橋 﨑子"

    name_key(typed)

    assert typed == "髙橋 﨑子"


@pytest.mark.parametrize("number_part", ["1-1-20", "一丁目1番20号", "１－１－２０", "1丁目1番地20", "1−1−20"])
def test_address_number_forms_equal(number_part: str) -> None:
    assert address_key(number_part) == "1-1-20"


@pytest.mark.parametrize("typed", ["宇都宮市塙田1-1-20", "栃木県宇都宮市塙田１－１－２０", "塙田一丁目1番20号"])
def test_address_forms_match_card(typed: str) -> None:
    assert addresses_match(typed, CARD_ADDRESS)


@pytest.mark.parametrize("typed", ["宇都宮市塙田1-1-21", "1-1-20", "宇都宮市本町1-1-20"])
def test_other_addresses_differ(typed: str) -> None:
    assert not addresses_match(typed, CARD_ADDRESS)


def answers(**changes: str) -> dict[str, str]:
    return {"full_name": "山崎 太郎", "birth_date": "1998-04-01", "address": "宇都宮市塙田1-1-20", **changes}


def verified(**changes: str) -> dict[str, str]:
    return {"name": "山﨑 太郎", "birthdate": "1998-04-01", "address": CARD_ADDRESS, **changes}


def test_match_all_attributes() -> None:
    hunting = load_definition(PROCEDURES / "hunting-licence-exam.yaml")

    result = match_identity(hunting, answers(), verified(), "栃木県")

    assert result.outcome == "matched"
    assert result.checked == ["name", "birthdate", "address", "residency"]


def test_mismatch_names_attributes() -> None:
    hunting = load_definition(PROCEDURES / "hunting-licence-exam.yaml")

    result = match_identity(hunting, answers(full_name="山崎 次郎", birth_date="1998-04-02"), verified(), "栃木県")

    assert result.outcome == "mismatched"
    assert [d.attribute for d in result.differences] == ["name", "birthdate"]
    assert result.differences[0].typed == "山崎 次郎"
    assert result.differences[0].verified == "山﨑 太郎"


def test_non_resident_mismatched() -> None:
    hunting = load_definition(PROCEDURES / "hunting-licence-exam.yaml")
    tokyo = "東京都千代田区永田町一丁目7番1号"

    result = match_identity(hunting, answers(address="東京都千代田区永田町1-7-1"), verified(address=tokyo), "栃木県")

    assert result.outcome == "mismatched"
    assert [d.attribute for d in result.differences] == ["residency"]


def test_wareki_birth_date_matches() -> None:
    hunting = load_definition(PROCEDURES / "hunting-licence-exam.yaml")

    result = match_identity(hunting, answers(birth_date="平成10年4月1日"), verified(), "栃木県")

    assert result.outcome == "matched"


def test_nothing_comparable_fails() -> None:
    hunting = load_definition(PROCEDURES / "hunting-licence-exam.yaml")

    result = match_identity(hunting, answers(), {}, "栃木県")

    assert result.outcome == "failed"
