"""Parsing and normalisation of what residents type in Japanese forms.

Every parser raises InputError, whose ``code`` is a key of the ``input``
message catalog (``madoguchi/i18n/locales/*/input.yaml``). Names are never
changed: only the functions that normalise digits, hyphens or kana change
characters, and they leave 髙, 﨑, 𠮷 and variation selectors as typed.
"""

from madoguchi.japanese.dates import age_on, parse_date
from madoguchi.japanese.eras import format_wareki
from madoguchi.japanese.errors import InputError
from madoguchi.japanese.kana import is_katakana_only, normalize_furigana
from madoguchi.japanese.phone import parse_phone_number
from madoguchi.japanese.postal import format_postal_code, parse_postal_code
from madoguchi.japanese.text import count_characters, normalize_digits_and_hyphens

__all__ = [
    "InputError",
    "age_on",
    "count_characters",
    "format_postal_code",
    "format_wareki",
    "is_katakana_only",
    "normalize_digits_and_hyphens",
    "normalize_furigana",
    "parse_date",
    "parse_phone_number",
    "parse_postal_code",
]
