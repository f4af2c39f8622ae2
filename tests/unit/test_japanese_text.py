"""Tests of digit and hyphen normalisation and character counting."""

import pytest
from madoguchi.japanese import count_characters, normalize_digits_and_hyphens

HYPHEN_LOOKALIKES = [
    "\u2212",  # − minus sign
    "\u2010",  # ‐ hyphen
    "\u2011",  # ‑ non-breaking hyphen
    "\u2012",  # ‒ figure dash
    "\u2013",  # – en dash
    "\u2014",  # — em dash
    "\u2015",  # ― horizontal bar
    "\uff0d",  # － full-width hyphen-minus
    "\ufe63",  # ﹣ small hyphen-minus
    "\u30fc",  # ー katakana prolonged sound mark
    "\uff70",  # ｰ half-width prolonged sound mark
    "\u2043",  # ⁃ hyphen bullet
    "\u02d7",  # ˗ modifier letter minus sign
    "\u207b",  # ⁻ superscript minus
    "\u208b",  # ₋ subscript minus
    "\u2500",  # ─ box drawing light horizontal
    "\u2501",  # ━ box drawing heavy horizontal
    "\u2796",  # ➖ heavy minus sign
    "\u2e3a",  # ⸺ two-em dash
    "\u2e3b",  # ⸻ three-em dash
    "\ufe58",  # ﹘ small em dash
]

# Names that normalize_digits_and_hyphens must return as typed: 髙 (U+9AD9),
# 﨑 (U+FA11, a compatibility ideograph), 𠮷 (U+20BB7, outside the BMP),
# 葛 with variation selector U+E0100, and 辻 with variation selector U+E0101.
NAMES = ["髙橋", "山﨑", "𠮷野", "葛\U000e0100城", "辻\U000e0101"]


@pytest.mark.parametrize("hyphen", HYPHEN_LOOKALIKES, ids=lambda c: f"U+{ord(c):04X}")
def test_hyphen_lookalike_becomes_ascii(hyphen):
    assert normalize_digits_and_hyphens(f"320{hyphen}8501") == "320-8501"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("０１２３４５６７８９", "0123456789"),
        ("１２３－４５６７", "123-4567"),
        ("０２８（６２３）２３２３", "028（623）2323"),
        ("123-4567", "123-4567"),
        ("", ""),
    ],
)
def test_digits_normalized(text, expected):
    assert normalize_digits_and_hyphens(text) == expected


@pytest.mark.parametrize("name", NAMES)
def test_normalize_digits_keeps_names(name):
    assert normalize_digits_and_hyphens(name) == name


def test_normalize_digits_keeps_other_characters():
    # Full-width letters and the full-width space are not digits or hyphens.
    assert normalize_digits_and_hyphens("Ａ　ｂ") == "Ａ　ｂ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("𠮷野", 2),
        ("葛\U000e0100", 1),
        ("か\u3099", 1),
        ("が", 1),
        ("髙橋", 2),
        ("山﨑", 2),
        ("辻\U000e0101", 1),
        ("ｶﾞ", 1),
        ("👨\u200d👩\u200d👧", 1),
        ("", 0),
        ("abc", 3),
    ],
)
def test_count_characters(text, expected):
    assert count_characters(text) == expected
