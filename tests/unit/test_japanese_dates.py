"""Tests of Western and 和暦 date parsing, 和暦 formatting and age calculation."""

import datetime

import pytest
from madoguchi.i18n import load_catalog, translate
from madoguchi.japanese import InputError, age_on, format_wareki, parse_date

date = datetime.date


def assert_renders_in_both_locales(error: InputError) -> None:
    for locale in ("ja", "en"):
        assert error.code in load_catalog(locale)
        assert translate(error.code, locale, **error.params)
    assert error.message("ja") != error.message("en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-07-27", date(2025, 7, 27)),
        ("2025/7/27", date(2025, 7, 27)),
        ("2025.7.27", date(2025, 7, 27)),
        ("2025年7月27日", date(2025, 7, 27)),
        ("2025年7月27", date(2025, 7, 27)),
        ("２０２５年７月２７日", date(2025, 7, 27)),
        ("２０２５－０７－２７", date(2025, 7, 27)),
        ("2025\u221207\u221227", date(2025, 7, 27)),
        ("20250727", date(2025, 7, 27)),
        (" 2025 / 7 / 27 ", date(2025, 7, 27)),
        ("2024年2月29日", date(2024, 2, 29)),
        ("1872-03-01", date(1872, 3, 1)),
        ("令和7年7月27日", date(2025, 7, 27)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和七年七月二十七日", date(2025, 7, 27)),
        ("令和 7年 7月 27日", date(2025, 7, 27)),
        ("令和７年７月２７日", date(2025, 7, 27)),
        ("令和7.7.27", date(2025, 7, 27)),
        ("R7.7.27", date(2025, 7, 27)),
        ("r7/7/27", date(2025, 7, 27)),
        ("R7-7-27", date(2025, 7, 27)),
        ("Ｒ７．７．２７", date(2025, 7, 27)),
        ("R7年7月27日", date(2025, 7, 27)),
        ("㋿7.7.27", date(2025, 7, 27)),
        ("R1.5.1", date(2019, 5, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("h1.1.8", date(1989, 1, 8)),
        ("S64.1.7", date(1989, 1, 7)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("T1.7.30", date(1912, 7, 30)),
        ("大正元年7月30日", date(1912, 7, 30)),
        ("明治45年7月29日", date(1912, 7, 29)),
        ("M45.7.29", date(1912, 7, 29)),
        ("明治6年1月1日", date(1873, 1, 1)),
        ("令和8年2月28日", date(2026, 2, 28)),
        ("R6.2.29", date(2024, 2, 29)),
    ],
)
def test_parse_date_accepts(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "input.date_empty"),
        ("　", "input.date_empty"),
        ("abc", "input.date_invalid_format"),
        ("2025年7月", "input.date_invalid_format"),
        ("2025/7-27", "input.date_invalid_format"),
        ("25/7/27", "input.date_invalid_format"),
        ("0000-01-01", "input.date_invalid_format"),
        ("令和十十年1月1日", "input.date_invalid_format"),
        ("X7.7.27", "input.date_invalid_format"),
        ("2025/13/1", "input.date_month_out_of_range"),
        ("R7.0.1", "input.date_month_out_of_range"),
        ("2025年2月30日", "input.date_nonexistent"),
        ("2025-02-29", "input.date_nonexistent"),
        ("2025-04-31", "input.date_nonexistent"),
        ("2025-07-00", "input.date_nonexistent"),
        ("令和7年2月29日", "input.date_nonexistent"),
        ("H31.4.31", "input.date_nonexistent"),
        ("平成31年5月1日", "input.date_era_ended"),
        ("H31.5.1", "input.date_era_ended"),
        ("平成32年1月1日", "input.date_era_ended"),
        ("昭和64年1月8日", "input.date_era_ended"),
        ("S64.1.8", "input.date_era_ended"),
        ("大正15年12月25日", "input.date_era_ended"),
        ("明治45年7月30日", "input.date_era_ended"),
        ("令和1年4月30日", "input.date_era_not_started"),
        ("令和元年4月30日", "input.date_era_not_started"),
        ("R1.4.30", "input.date_era_not_started"),
        ("令和0年1月1日", "input.date_era_not_started"),
        ("平成元年1月7日", "input.date_era_not_started"),
        ("大正元年7月29日", "input.date_era_not_started"),
        ("明治5年12月2日", "input.date_lunisolar"),
        ("明治元年1月1日", "input.date_lunisolar"),
        ("明治0年1月1日", "input.date_lunisolar"),
    ],
)
def test_parse_date_rejects(text, code):
    with pytest.raises(InputError) as excinfo:
        parse_date(text)
    assert excinfo.value.code == code
    assert_renders_in_both_locales(excinfo.value)


@pytest.mark.parametrize(
    ("text", "ja", "en"),
    [
        (
            "平成31年5月1日",
            (
                "平成31年5月1日は存在しません。平成は31年4月30日までです。"
                "令和元年5月1日のように入力してください。"
            ),
            (
                '"平成31年5月1日" does not exist because the Heisei era (平成) ended on '
                "2019-04-30. Enter 令和元年5月1日 or 2019-05-01 instead."
            ),
        ),
        (
            "S64.1.8",
            (
                "昭和64年1月8日は存在しません。昭和は64年1月7日までです。"
                "平成元年1月8日のように入力してください。"
            ),
            (
                '"S64.1.8" does not exist because the Showa era (昭和) ended on '
                "1989-01-07. Enter 平成元年1月8日 or 1989-01-08 instead."
            ),
        ),
        (
            "令和1年4月30日",
            (
                "令和元年4月30日は存在しません。令和は元年5月1日からです。"
                "平成31年4月30日のように入力してください。"
            ),
            (
                '"令和1年4月30日" does not exist because the Reiwa era (令和) began on '
                "2019-05-01. Enter 平成31年4月30日 or 2019-04-30 instead."
            ),
        ),
        (
            "2025年2月30日",
            "2025年2月30日は存在しません。2月は28日までです。日付を確認してください。",
            (
                '"2025年2月30日" does not exist because month 2 has only 28 days that year. '
                "Check the date."
            ),
        ),
    ],
)
def test_nonexistent_date_messages(text, ja, en):
    with pytest.raises(InputError) as excinfo:
        parse_date(text)
    assert excinfo.value.message("ja") == ja
    assert excinfo.value.message("en") == en


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 7, 27), "令和7年7月27日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1912, 7, 29), "明治45年7月29日"),
        (date(1873, 1, 1), "明治6年1月1日"),
        (datetime.datetime(2025, 7, 27, 23, 59), "令和7年7月27日"),
    ],
)
def test_format_wareki(value, expected):
    assert format_wareki(value) == expected


@pytest.mark.parametrize(
    "value", [date(2025, 7, 27), date(2019, 5, 1), date(1989, 1, 7), date(1926, 12, 25)]
)
def test_format_wareki_parses_back(value):
    assert parse_date(format_wareki(value)) == value


def test_format_wareki_rejects_lunisolar_dates():
    with pytest.raises(ValueError, match="1873-01-01"):
        format_wareki(date(1872, 12, 31))


@pytest.mark.parametrize(
    ("birth_date", "on_date", "expected"),
    [
        (date(2000, 4, 2), date(2000, 4, 2), 0),
        (date(2000, 4, 2), date(2006, 3, 31), 5),
        # The next age is reached at the end of the day before the birthday.
        (date(2000, 4, 2), date(2006, 4, 1), 6),
        (date(2000, 4, 2), date(2006, 4, 2), 6),
        (date(2000, 1, 1), date(2000, 12, 30), 0),
        (date(2000, 1, 1), date(2000, 12, 31), 1),
        (date(2000, 12, 31), date(2001, 12, 30), 1),
        # A 29 February birth turns N on 28 February, in common and leap years.
        (date(2004, 2, 29), date(2005, 2, 27), 0),
        (date(2004, 2, 29), date(2005, 2, 28), 1),
        (date(2004, 2, 29), date(2005, 3, 1), 1),
        (date(2004, 2, 29), date(2008, 2, 27), 3),
        (date(2004, 2, 29), date(2008, 2, 28), 4),
        (date(2004, 2, 29), date(2008, 2, 29), 4),
        (date(2004, 3, 1), date(2005, 2, 28), 1),
        (date(2007, 4, 2), date(2025, 4, 1), 18),
        (date(2007, 4, 3), date(2025, 4, 1), 17),
    ],
)
def test_age_on(birth_date, on_date, expected):
    assert age_on(birth_date, on_date) == expected


def test_age_on_rejects_future_birth_date():
    with pytest.raises(InputError) as excinfo:
        age_on(date(2025, 7, 28), date(2025, 7, 27))
    assert excinfo.value.code == "input.birth_date_after_reference"
    assert excinfo.value.params == {"birth_date": "2025-07-28", "on_date": "2025-07-27"}
    assert_renders_in_both_locales(excinfo.value)
