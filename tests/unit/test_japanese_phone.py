"""Tests of Japanese telephone number parsing."""

import pytest
from madoguchi.i18n import load_catalog, translate
from madoguchi.japanese import InputError, parse_phone_number


def assert_renders_in_both_locales(error: InputError) -> None:
    for locale in ("ja", "en"):
        assert error.code in load_catalog(locale)
        assert translate(error.code, locale, **error.params)
    assert error.message("ja") != error.message("en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("０２８（６２３）２３２３", "028-623-2323"),
        ("028-623-2323", "028-623-2323"),
        ("(028)623-2323", "028-623-2323"),
        ("028 623 2323", "028-623-2323"),
        (" ( 028 ) 623 - 2323 ", "028-623-2323"),
        ("0286232323", "0286232323"),
        ("０２８－６２３－２３２３", "028-623-2323"),
        ("028\u2212623\u22122323", "028-623-2323"),  # − minus sign
        ("028\u2010623\u20102323", "028-623-2323"),  # ‐ hyphen
        ("０２８ー６２３ー２３２３", "028-623-2323"),  # ー prolonged sound mark
        ("028\u2015623\u20152323", "028-623-2323"),  # ― horizontal bar
        ("03-1234-5678", "03-1234-5678"),
        ("090-1234-5678", "090-1234-5678"),
        ("080 1234 5678", "080-1234-5678"),
        ("070-1234-5678", "070-1234-5678"),
        ("050-1234-5678", "050-1234-5678"),
        ("020-1234-5678", "020-1234-5678"),
        ("09012345678", "09012345678"),
        ("0120-123-456", "0120-123-456"),
        ("0570-000-123", "0570-000-123"),
        ("0800-123-4567", "0800-123-4567"),
        ("+81 28-623-2323", "028-623-2323"),
        ("+81(0)28-623-2323", "028-623-2323"),
        ("＋８１ ９０－１２３４－５６７８", "090-1234-5678"),
    ],
)
def test_parse_phone_number_accepts(text, expected):
    assert parse_phone_number(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "input.phone_number_empty"),
        ("　", "input.phone_number_empty"),
        ("03-1234-5678 内線12", "input.phone_number_invalid_character"),
        ("028.623.2323", "input.phone_number_invalid_character"),
        ("+1 555 0100", "input.phone_number_invalid_character"),
        ("１２３－４５６７", "input.phone_number_prefix"),
        ("028-623-232", "input.phone_number_length_10"),
        ("028-623-23233", "input.phone_number_length_10"),
        ("0120-123-4567", "input.phone_number_length_10"),
        ("090-1234-567", "input.phone_number_length_11"),
        ("090-1234-56789", "input.phone_number_length_11"),
        ("050-123-4567", "input.phone_number_length_11"),
        ("0800-123-456", "input.phone_number_length_11"),
        ("623-2323", "input.phone_number_prefix"),
        ("010-1234-5678", "input.phone_number_prefix"),
        ("0012-345-6789", "input.phone_number_prefix"),
    ],
)
def test_parse_phone_number_rejects(text, code):
    with pytest.raises(InputError) as excinfo:
        parse_phone_number(text)
    assert excinfo.value.code == code
    assert_renders_in_both_locales(excinfo.value)


def test_phone_length_error_counts_digits():
    with pytest.raises(InputError) as excinfo:
        parse_phone_number("０９０－１２３４－５６７")
    assert excinfo.value.params == {"prefix": "090", "digit_count": 10}
    assert "10桁" in excinfo.value.message("ja")


def test_phone_invalid_character_named():
    with pytest.raises(InputError) as excinfo:
        parse_phone_number("028-623-2323 内線12")
    assert excinfo.value.params == {"character": "内"}
    assert "「内」" in excinfo.value.message("ja")
