"""Tests of answer validation and normalisation with what residents really type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from madoguchi.japanese import count_characters
from madoguchi.procedures.loader import load_definition
from madoguchi.procedures.models import ProcedureDefinition
from madoguchi.procedures.validation import AnswersInvalid, FieldError, validate_answers

PROCEDURES = Path(__file__).resolve().parents[2] / "procedures"


@pytest.fixture(scope="module")
def notification() -> ProcedureDefinition:
    return load_definition(PROCEDURES / "cook-employment-notification.yaml")


@pytest.fixture(scope="module")
def licence() -> ProcedureDefinition:
    return load_definition(PROCEDURES / "cook-licence.yaml")


@pytest.fixture(scope="module")
def hunting() -> ProcedureDefinition:
    return load_definition(PROCEDURES / "hunting-licence-exam.yaml")


def answers_of(definition: ProcedureDefinition, **changes: Any) -> dict[str, Any]:
    answers = dict(definition.example_answers[0])
    answers.update(changes)
    return answers


def errors_of(definition: ProcedureDefinition, answers: dict[str, Any]) -> list[FieldError]:
    with pytest.raises(AnswersInvalid) as caught:
        validate_answers(definition, answers)
    return caught.value.errors


# --- postal codes and phone numbers --------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "１２３－４５６７",  # full-width digits, U+FF0D full-width hyphen-minus
        "123\u22124567",  # U+2212 minus sign
        "123\u20104567",  # U+2010 hyphen
        "123\u30fc4567",  # U+30FC katakana prolonged sound mark
        "１２３４５６７",
    ],
)
def test_postal_code_look_alikes_normalised(notification: ProcedureDefinition, typed: str) -> None:
    normalised = validate_answers(notification, answers_of(notification, postal_code=typed))

    assert normalised["postal_code"] == "1234567"


@pytest.mark.parametrize(
    "typed",
    [
        "０２８－６２３－３１１１",
        "028\u2212623\u22123111",
        "028\u2010623\u20103111",
        "028\u30fc623\u30fc3111",
    ],
)
def test_phone_look_alikes_normalised(notification: ProcedureDefinition, typed: str) -> None:
    normalised = validate_answers(notification, answers_of(notification, phone=typed))

    assert normalised["phone"] == "028-623-3111"


def test_mobile_phone_full_width(notification: ProcedureDefinition) -> None:
    normalised = validate_answers(notification, answers_of(notification, phone="０９０ー１２３４ー５６７８"))

    assert normalised["phone"] == "090-1234-5678"


def test_postal_code_too_short(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, answers_of(notification, postal_code="１２３－４５６"))

    assert [error.field for error in errors] == ["postal_code"]
    assert errors[0].code == "input.postal_code_invalid"
    assert errors[0].messages["ja"]
    assert "postal code" in errors[0].messages["en"]


def test_phone_with_letters_rejected(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, answers_of(notification, phone="028-623-311l"))

    assert [error.field for error in errors] == ["phone"]
    assert errors[0].code == "input.phone_number_invalid_character"


# --- furigana --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("よしだ たかこ", "ヨシダ\u3000タカコ"),
        ("ﾖｼﾀﾞ ﾀｶｺ", "ヨシダ\u3000タカコ"),
        ("ヨシダ　タカコ", "ヨシダ\u3000タカコ"),
        ("ﾔﾏｻﾞｷ", "ヤマザキ"),
        ("ぱーく", "パーク"),
    ],
)
def test_furigana_stored_as_katakana(
    notification: ProcedureDefinition, typed: str, stored: str
) -> None:
    normalised = validate_answers(notification, answers_of(notification, full_name_kana=typed))

    assert normalised["full_name_kana"] == stored


def test_furigana_with_kanji_rejected(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, answers_of(notification, full_name_kana="吉田 たかこ"))

    assert [error.field for error in errors] == ["full_name_kana"]
    assert errors[0].code == "input.furigana_invalid_character"
    assert "吉" in errors[0].messages["ja"]
    assert "吉" in errors[0].messages["en"]


# --- names kept exactly as typed -------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "髙橋 花子",
        "山﨑 太郎",
        "𠮷田 髙子",
        "葛\U000e0100城 一郎",  # 葛 with an ideographic variation selector (IVS)
        "渡邊\ufe00 次郎",  # standardized variation selector
    ],
)
def test_name_stored_exactly(licence: ProcedureDefinition, name: str) -> None:
    normalised = validate_answers(licence, answers_of(licence, full_name=name))

    assert normalised["full_name"] == name
    assert normalised["full_name"].encode("utf-8") == name.encode("utf-8")


def test_name_stored_in_nfc_form_unchanged(licence: ProcedureDefinition) -> None:
    # 﨑 (U+FA11) is a CJK compatibility ideograph that NFKC would turn into 崎.
    normalised = validate_answers(licence, answers_of(licence, full_name="﨑"))

    assert normalised["full_name"] == "\ufa11"


# --- maximum length in user-perceived characters ---------------------------------------


def test_max_length_counts_surrogate_pair_once(notification: ProcedureDefinition) -> None:
    name = "𠮷" * 30

    normalised = validate_answers(notification, answers_of(notification, full_name=name))

    assert len(name.encode("utf-16-le")) == 120
    assert normalised["full_name"] == name


def test_max_length_exceeded_by_one(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, answers_of(notification, full_name="𠮷" * 31))

    assert [error.field for error in errors] == ["full_name"]
    assert errors[0].code == "answers.too_long"
    assert "31" in errors[0].messages["ja"]
    assert "30" in errors[0].messages["en"]


def test_max_length_counts_variation_selector_once(notification: ProcedureDefinition) -> None:
    name = "葛\U000e0100" * 30

    normalised = validate_answers(notification, answers_of(notification, full_name=name))

    assert count_characters(name) == 30
    assert normalised["full_name"] == name


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "era_end"),
    [
        ("平成31年5月1日", "2019-04-30"),
        ("昭和64年1月8日", "1989-01-07"),
    ],
)
def test_nonexistent_wareki_rejected(
    notification: ProcedureDefinition, typed: str, era_end: str
) -> None:
    errors = errors_of(notification, answers_of(notification, birth_date=typed))

    assert [error.field for error in errors] == ["birth_date"]
    assert errors[0].code == "input.date_era_ended"
    assert typed in errors[0].messages["ja"]
    assert "存在しません" in errors[0].messages["ja"]
    assert "does not exist" in errors[0].messages["en"]
    assert era_end in errors[0].messages["en"]


def test_february_30_rejected(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, answers_of(notification, birth_date="令和2年2月30日"))

    assert errors[0].code == "input.date_nonexistent"
    assert errors[0].messages["ja"] != errors[0].messages["en"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("昭和64年1月7日", "1989-01-07"),
        ("平成元年1月8日", "1989-01-08"),
        ("令和元年5月1日", "2019-05-01"),
        ("１９８５年４月１日", "1985-04-01"),
        ("1985-04-01", "1985-04-01"),
    ],
)
def test_date_stored_as_iso(notification: ProcedureDefinition, typed: str, stored: str) -> None:
    normalised = validate_answers(notification, answers_of(notification, birth_date=typed))

    assert normalised["birth_date"] == stored


# --- minimum age on the exam date ------------------------------------------------------

# The haga session is on 2027-07-25. Japanese law counts the next year of age as
# reached at the end of the day before the birthday, so someone born on 2009-07-26
# is already 18 on 2027-07-25.


@pytest.mark.parametrize(
    ("licence_types", "birth_date"),
    [
        (["trap"], "2009-07-25"),
        (["trap"], "2009-07-26"),  # 18 from the end of 2027-07-24
        (["net"], "平成21年7月25日"),
        (["gun_first_class"], "2007-07-26"),
        (["trap", "gun_second_class"], "2007-07-25"),
    ],
)
def test_minimum_age_met(
    hunting: ProcedureDefinition, licence_types: list[str], birth_date: str
) -> None:
    answers = answers_of(hunting, licence_types=licence_types, birth_date=birth_date)

    normalised = validate_answers(hunting, answers)

    assert normalised["licence_types"] == licence_types


def test_trap_under_18_rejected(hunting: ProcedureDefinition) -> None:
    answers = answers_of(hunting, licence_types=["trap"], birth_date="2009-07-27")

    errors = errors_of(hunting, answers)

    assert [error.field for error in errors] == ["birth_date"]
    assert errors[0].code == "answers.rule_failed"
    assert "18歳以上" in errors[0].messages["ja"]
    assert "18 or older" in errors[0].messages["en"]


def test_gun_under_20_rejected(hunting: ProcedureDefinition) -> None:
    answers = answers_of(hunting, licence_types=["gun_first_class"], birth_date="2007-07-27")

    errors = errors_of(hunting, answers)

    assert [error.field for error in errors] == ["birth_date"]
    assert "20歳以上" in errors[0].messages["ja"]
    assert "20 or older" in errors[0].messages["en"]


def test_age_19_trap_and_gun_one_error(hunting: ProcedureDefinition) -> None:
    answers = answers_of(hunting, licence_types=["trap", "gun_first_class"], birth_date="2008-01-01")

    errors = errors_of(hunting, answers)

    assert len(errors) == 1
    assert "20" in errors[0].messages["en"]


def test_age_uses_chosen_session_date(hunting: ProcedureDefinition) -> None:
    # 18 on 2027-10-15 (kamitsuga) but still 17 on 2027-07-25 (haga).
    birth_date = "2009-09-01"
    later = answers_of(
        hunting, licence_types=["trap"], birth_date=birth_date, exam_session="kamitsuga-2027-10-15"
    )
    earlier = answers_of(
        hunting, licence_types=["trap"], birth_date=birth_date, exam_session="haga-2027-07-25"
    )

    assert validate_answers(hunting, later)["exam_session"] == "kamitsuga-2027-10-15"
    assert errors_of(hunting, earlier)[0].field == "birth_date"


def test_invalid_birth_date_no_age_error(hunting: ProcedureDefinition) -> None:
    answers = answers_of(hunting, licence_types=["trap"], birth_date="平成31年5月1日")

    errors = errors_of(hunting, answers)

    assert len(errors) == 1
    assert errors[0].code == "input.date_era_ended"


# --- conditional fields ----------------------------------------------------------------


def test_visible_conditional_required(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, answers_of(notification, workplace_type="other"))

    assert [error.field for error in errors] == ["workplace_type_other"]
    assert errors[0].code == "answers.required"


def test_visible_conditional_kept(notification: ProcedureDefinition) -> None:
    answers = answers_of(notification, workplace_type="other", workplace_type_other="移動販売車")

    normalised = validate_answers(notification, answers)

    assert normalised["workplace_type_other"] == "移動販売車"


def test_hidden_conditional_dropped(notification: ProcedureDefinition) -> None:
    answers = answers_of(notification, workplace_type="restaurant", workplace_type_other="移動販売車")

    normalised = validate_answers(notification, answers)

    assert "workplace_type_other" not in normalised


def test_hidden_invalid_answer_ignored(licence: ProcedureDefinition) -> None:
    # School route: the exam date is hidden, so its nonexistent date is not an error.
    answers = answers_of(
        licence,
        qualification_route="school",
        school_name="県立調理師専門学校",
        graduation_date="令和6年3月15日",
        exam_pass_date="平成31年5月1日",
    )

    normalised = validate_answers(licence, answers)

    assert "exam_pass_date" not in normalised
    assert "exam_prefecture" not in normalised
    assert normalised["graduation_date"] == "2024-03-15"


def test_school_route_needs_school_fields(licence: ProcedureDefinition) -> None:
    answers = answers_of(licence, qualification_route="school")

    errors = errors_of(licence, answers)

    assert [error.field for error in errors] == ["school_name", "graduation_date"]


def test_optional_choice_may_be_empty(licence: ProcedureDefinition) -> None:
    answers = answers_of(licence, wants_former_name="")

    normalised = validate_answers(licence, answers)

    assert "wants_former_name" not in normalised


# --- unknown fields, one error per field, order ----------------------------------------


def test_unknown_field_rejected(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, answers_of(notification, nickname="たかちゃん"))

    assert [error.field for error in errors] == ["nickname"]
    assert errors[0].code == "answers.unknown_field"
    assert "nickname" in errors[0].messages["ja"]
    assert "nickname" in errors[0].messages["en"]


def test_answers_not_object(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, ["full_name"])  # type: ignore[arg-type]

    assert [error.code for error in errors] == ["answers.not_an_object"]


def test_one_error_per_field(notification: ProcedureDefinition) -> None:
    # Too long and not katakana at once: only one message for the field.
    errors = errors_of(notification, answers_of(notification, full_name_kana="吉" * 41))

    assert [error.field for error in errors] == ["full_name_kana"]


def test_errors_follow_form_order(notification: ProcedureDefinition) -> None:
    answers = answers_of(
        notification,
        declaration=False,
        workplace_postal_code="x",
        phone="abc",
        birth_date="平成31年5月1日",
        full_name="",
    )
    del answers["licence_date"]

    errors = errors_of(notification, answers)

    assert [error.field for error in errors] == [
        "full_name",
        "birth_date",
        "phone",
        "licence_date",
        "workplace_postal_code",
        "declaration",
    ]


def test_every_error_has_ja_and_en(notification: ProcedureDefinition) -> None:
    answers = {"full_name": "", "phone": "abc", "nickname": 1, "workplace_type": "bar"}

    errors = errors_of(notification, answers)

    assert len(errors) == len({error.field for error in errors})
    for error in errors:
        as_dict = error.as_dict()
        assert as_dict["ja"], error.field
        assert as_dict["en"], error.field
        assert as_dict["ja"] != as_dict["en"], error.field


def test_wrong_type_rejected(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, answers_of(notification, full_name=123))

    assert [error.code for error in errors] == ["answers.type_string"]


# --- characters, blanks, e-mail and dates that must not pass ----------------------------


@pytest.mark.parametrize(
    ("typed", "code_point"),
    [
        ("田中\x00花子", "U+0000"),
        ("田中\x07", "U+0007"),
        ("\u202e子花中田", "U+202E"),  # right-to-left override
        ("田中\u2066花子", "U+2066"),  # left-to-right isolate
        ("\ud800田中", "U+D800"),  # lone surrogate
        ("田中\n花子", "U+000A"),  # a line break in a one-line field
    ],
)
def test_control_characters_rejected(
    notification: ProcedureDefinition, typed: str, code_point: str
) -> None:
    errors = errors_of(notification, answers_of(notification, full_name=typed))

    assert [error.field for error in errors] == ["full_name"]
    assert errors[0].code == "answers.invalid_character"
    assert code_point in errors[0].messages["ja"]
    assert code_point in errors[0].messages["en"]


@pytest.mark.parametrize("typed", [" ", "\u3000", "\u200b", " \u200b\u3000 "])
def test_blank_required_answer_missing(notification: ProcedureDefinition, typed: str) -> None:
    errors = errors_of(notification, answers_of(notification, workplace_name=typed))

    assert [(error.field, error.code) for error in errors] == [("workplace_name", "answers.required")]


@pytest.mark.parametrize(
    "typed", ["a@b", "taro@", "@example.jp", "taro example@example.jp", "x@example.jp\r\nBcc: y@example.jp"]
)
def test_malformed_email_rejected(notification: ProcedureDefinition, typed: str) -> None:
    errors = errors_of(notification, answers_of(notification, email=typed))

    assert [(error.field, error.code) for error in errors] == [("email", "answers.email_invalid")]


@pytest.mark.parametrize("typed", ["taro.yamada@example.jp", "h-sato+form@mail.example.co.jp"])
def test_ordinary_email_accepted(notification: ProcedureDefinition, typed: str) -> None:
    normalised = validate_answers(notification, answers_of(notification, email=typed))

    assert normalised["email"] == typed


def test_future_birth_date_rejected(notification: ProcedureDefinition) -> None:
    errors = errors_of(notification, answers_of(notification, birth_date="9999-12-31"))

    assert [(error.field, error.code) for error in errors] == [("birth_date", "answers.date_in_future")]
    assert "令和" in errors[0].messages["ja"]


def test_unknown_fields_capped(notification: ProcedureDefinition) -> None:
    extra = {f"unknown_{index}": "x" for index in range(500)}

    errors = errors_of(notification, answers_of(notification, **extra))

    assert len(errors) == 20
    assert all(error.code == "answers.unknown_field" for error in errors)
