"""フリガナ (name readings) normalisation to full-width katakana."""

from __future__ import annotations

import re
import unicodedata

from madoguchi.japanese.errors import InputError

# ァ (U+30A1) to ヶ (U+30F6) covers every katakana letter a reading needs,
# including small kana, ヴ, ヵ and ヶ.
_KATAKANA_LETTERS = "\u30a1-\u30f6"
_PROLONGED_SOUND_MARK = "\u30fc"  # ー
_MIDDLE_DOT = "\u30fb"  # ・
_IDEOGRAPHIC_SPACE = "\u3000"

_KATAKANA_ONLY = re.compile(f"[{_KATAKANA_LETTERS}{_PROLONGED_SOUND_MARK}{_MIDDLE_DOT}]+")
_FURIGANA_CHARACTER = re.compile(
    f"[{_KATAKANA_LETTERS}{_PROLONGED_SOUND_MARK}{_MIDDLE_DOT}{_IDEOGRAPHIC_SPACE}]"
)

# A kana followed by a voiced or semi-voiced sound mark, either combining
# (U+3099, U+309A) or spacing (U+309B ゛, U+309C ゜).
_KANA_WITH_SOUND_MARK = re.compile("([\u3041-\u3096\u30a1-\u30fa])([\u3099-\u309c])")
_SPACING_TO_COMBINING = {"\u309b": "\u3099", "\u309c": "\u309a"}

_SPACES = re.compile("[ \u3000]+")


def normalize_furigana(text: str) -> str:
    """Convert a name reading to full-width katakana, or raise InputError.

    ひらがな and half-width ｶﾀｶﾅ become full-width katakana, and a kana followed
    by a voiced or semi-voiced sound mark is composed (ｶﾞ → ガ, ﾊﾟ → パ). The
    result may also contain ー and ・. Each run of half-width or full-width
    spaces becomes one "　", and leading and trailing spaces are removed, so an
    empty or all-space reading returns "".

    Raises:
        InputError: ``input.furigana_invalid_character`` naming the first other
            character. Kanji, letters and digits are named as typed, but a kana
            that was converted is named in katakana (ゝ as ヽ).
    """
    # Imported here because most callers of this package never convert kana.
    import jaconv

    converted = jaconv.h2z(text, kana=True, ascii=False, digit=False)
    converted = jaconv.hira2kata(converted)
    converted = _KANA_WITH_SOUND_MARK.sub(_compose_sound_mark, converted)
    converted = _SPACES.sub(_IDEOGRAPHIC_SPACE, converted).strip(" \u3000")

    _reject_first_invalid_character(converted)
    return converted


def is_katakana_only(text: str) -> bool:
    """Return whether ``text`` is non-empty and only full-width katakana, ー and ・.

    Spaces make it False, so a normalised reading with a space between family
    and given name is not "katakana only".
    """
    return _KATAKANA_ONLY.fullmatch(text) is not None


def _compose_sound_mark(match: re.Match[str]) -> str:
    kana, mark = match.groups()
    mark = _SPACING_TO_COMBINING.get(mark, mark)
    # NFC is applied to this pair only, because on a whole string it would also
    # replace CJK compatibility ideographs (e.g. U+FA30 侮) in a mistyped reading.
    return unicodedata.normalize("NFC", kana + mark)


def _reject_first_invalid_character(reading: str) -> None:
    # Imported here for the same reason as in normalize_furigana. Graphemes are
    # checked so that the error names 葛󠄀 or ア゙ whole, not half of it.
    import regex

    for grapheme in regex.findall(r"\X", reading):
        if _FURIGANA_CHARACTER.fullmatch(grapheme) is None:
            raise InputError("input.furigana_invalid_character", character=grapheme)
