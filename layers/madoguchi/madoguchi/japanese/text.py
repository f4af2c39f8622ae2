"""Digit and hyphen normalisation and character counting."""

from __future__ import annotations

# Characters that residents type, or that IMEs and copied text produce, in place
# of "-". Of these, NFKC maps only U+FF0D and U+FE63 to "-", so all are listed.
HYPHEN_LOOKALIKES = (
    "\u2010"  # ‐ hyphen
    "\u2011"  # ‑ non-breaking hyphen
    "\u2012"  # ‒ figure dash
    "\u2013"  # – en dash
    "\u2014"  # — em dash
    "\u2015"  # ― horizontal bar
    "\u2043"  # ⁃ hyphen bullet
    "\u2212"  # − minus sign
    "\ufe63"  # ﹣ small hyphen-minus
    "\uff0d"  # － full-width hyphen-minus
    "\u30fc"  # ー katakana prolonged sound mark
    "\uff70"  # ｰ half-width prolonged sound mark
    "\u02d7"  # ˗ modifier letter minus sign
    "\u207b"  # ⁻ superscript minus
    "\u208b"  # ₋ subscript minus
    "\u2500"  # ─ box drawing light horizontal
    "\u2501"  # ━ box drawing heavy horizontal
    "\u2796"  # ➖ heavy minus sign
    "\u2e3a"  # ⸺ two-em dash
    "\u2e3b"  # ⸻ three-em dash
    "\ufe58"  # ﹘ small em dash
)

FULL_WIDTH_DIGITS = "０１２３４５６７８９"

_DIGIT_AND_HYPHEN_TABLE = str.maketrans(
    {
        **{full: str(value) for value, full in enumerate(FULL_WIDTH_DIGITS)},
        **dict.fromkeys(HYPHEN_LOOKALIKES, "-"),
    }
)


def normalize_digits_and_hyphens(text: str) -> str:
    """Replace full-width digits with ASCII digits and every hyphen look-alike with "-".

    Every other character, including 髙, 﨑, 𠮷 and variation selectors, is
    returned as typed. Apply it only to fields that contain numbers, because the
    katakana prolonged sound mark "ー" also becomes "-" (コーヒー → コ-ヒ-).
    """
    return text.translate(_DIGIT_AND_HYPHEN_TABLE)


def count_characters(text: str) -> int:
    """Count user-perceived characters (Unicode extended grapheme clusters).

    "𠮷野" is 2, 葛 followed by variation selector U+E0100 is 1, and か followed
    by the combining voiced sound mark U+3099 is 1, where ``len()`` counts 2 code
    points for each of the last two.
    """
    # Imported here because importing ``regex`` took about 17 ms
    # (python -X importtime on a development machine) and most callers of this
    # package never count characters.
    import regex

    return len(regex.findall(r"\X", text))
