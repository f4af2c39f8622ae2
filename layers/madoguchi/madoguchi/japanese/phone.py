"""Japanese telephone number parsing."""

from __future__ import annotations

import re

from madoguchi.japanese.errors import InputError
from madoguchi.japanese.text import normalize_digits_and_hyphens

# Numbers with these prefixes have 11 digits: 020 (M2M and pagers), 050 (IP
# phones), 060 (FMC), 070, 080 and 090 (mobile phones), and 0800 (toll-free),
# which the prefix 080 covers.
# Every other number, including 0120 and 0570, has 10 digits.
ELEVEN_DIGIT_PREFIXES = ("020", "050", "060", "070", "080", "090")

_WIDTH_TABLE = str.maketrans({"（": "(", "）": ")", "\u3000": " ", "＋": "+"})

# +81, then separators and an optional "(0)", replaces the leading 0 of a
# domestic number: "+81 (0)28-623-2323" is 028-623-2323.
_COUNTRY_CODE = re.compile(r"\+81[\s-]*(?:\(0\)[\s-]*)?")
_SEPARATORS = re.compile(r"[-()\s]+")
_ALLOWED_CHARACTER = re.compile(r"[0-9()\s-]")


def parse_phone_number(text: str) -> str:
    """Return a Japanese telephone number as ASCII digits, keeping the typed grouping as hyphens.

    Full-width digits, hyphen look-alikes, brackets and spaces are accepted,
    and each run of separators becomes one "-" ("０２８（６２３）２３２３" →
    "028-623-2323"). A number typed without separators is returned without
    hyphens. A leading +81 is replaced by 0.

    Raises:
        InputError: ``input.phone_number_empty``,
            ``input.phone_number_invalid_character``,
            ``input.phone_number_prefix`` (not starting with 0, or starting
            with 00 or 010),
            ``input.phone_number_length_11`` (020/050/060/070/080/090 numbers)
            or ``input.phone_number_length_10`` (all other numbers).
    """
    typed = text.strip()
    if not typed:
        raise InputError("input.phone_number_empty")

    normalized = normalize_digits_and_hyphens(typed).translate(_WIDTH_TABLE)
    country_code = _COUNTRY_CODE.match(normalized)
    if country_code is not None:
        normalized = "0" + normalized[country_code.end() :]

    for character in normalized:
        if _ALLOWED_CHARACTER.fullmatch(character) is None:
            raise InputError("input.phone_number_invalid_character", character=character)

    groups = [group for group in _SEPARATORS.split(normalized) if group]
    digits = "".join(groups)
    _check_digits(digits, typed)
    return "-".join(groups)


def _check_digits(digits: str, typed: str) -> None:
    # 00 starts carrier selection codes and 010 the international call prefix,
    # so neither begins a domestic number.
    if not digits.startswith("0") or digits.startswith(("00", "010")):
        raise InputError("input.phone_number_prefix", value=typed)

    prefix = digits[:3]
    if prefix in ELEVEN_DIGIT_PREFIXES:
        if len(digits) != 11:
            raise InputError("input.phone_number_length_11", prefix=prefix, digit_count=len(digits))
    elif len(digits) != 10:
        raise InputError("input.phone_number_length_10", digit_count=len(digits))
