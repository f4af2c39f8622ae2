"""Message catalogs for everything shown to residents and staff.

Each domain keeps its strings in ``locales/<locale>/<domain>.yaml``; keys are
``<domain>.<name>`` so files never collide. Japanese is the reference locale:
a key missing from another locale falls back to Japanese, and a key missing
everywhere raises ``KeyError`` so a typo cannot ship silently.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml

Locale = Literal["ja", "en"]
SUPPORTED_LOCALES: tuple[Locale, ...] = ("ja", "en")
DEFAULT_LOCALE: Locale = "ja"

_LOCALES_DIR = Path(__file__).parent / "locales"


@cache
def load_catalog(locale: str) -> dict[str, str]:
    """Load and merge every domain file of one locale into a flat key → text map."""
    catalog: dict[str, str] = {}
    for path in sorted((_LOCALES_DIR / locale).glob("*.yaml")):
        domain = path.stem
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, text in _flatten(entries):
            catalog[f"{domain}.{name}"] = text
    return catalog


def _flatten(entries: dict, prefix: str = "") -> list[tuple[str, str]]:
    flat: list[tuple[str, str]] = []
    for name, value in entries.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.extend(_flatten(value, f"{key}."))
        else:
            flat.append((key, str(value)))
    return flat


def normalize_locale(locale: str | None) -> Locale:
    """Map a requested locale such as ``en-US`` to a supported one, Japanese by default."""
    if locale:
        primary = locale.split("-")[0].split("_")[0].lower()
        if primary in SUPPORTED_LOCALES:
            return primary  # type: ignore[return-value]
    return DEFAULT_LOCALE


def translate(key: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    """Return the text for ``key`` in ``locale`` with ``{name}`` placeholders filled.

    Raises:
        KeyError: the key exists in no catalog.
    """
    text = load_catalog(normalize_locale(locale)).get(key)
    if text is None:
        text = load_catalog(DEFAULT_LOCALE)[key]
    return text.format(**params) if params else text


def translate_all(key: str, **params: object) -> dict[str, str]:
    """Return the text for ``key`` in every supported locale, e.g. for API error bodies."""
    return {locale: translate(key, locale, **params) for locale in SUPPORTED_LOCALES}
