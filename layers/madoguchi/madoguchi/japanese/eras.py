"""The Japanese eras (元号) from 明治 to 令和, with boundaries taken from japanera."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

# Japan switched from the lunisolar calendar to the Gregorian calendar on this
# day, which was 明治5年12月3日 in the old calendar and became 明治6年1月1日.
# Earlier 和暦 dates are lunisolar and cannot be converted by year arithmetic.
GREGORIAN_ADOPTION = datetime.date(1873, 1, 1)

# Letters used on forms and cards for each era (R7.7.27, H31.4.30).
ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}


@dataclass(frozen=True)
class Era:
    """A Japanese era with its first and last day in the Gregorian calendar."""

    name: str
    name_en: str
    first_day: datetime.date
    last_day: datetime.date | None

    def contains(self, value: datetime.date) -> bool:
        return self.first_day <= value and (self.last_day is None or value <= self.last_day)

    def year_to_gregorian(self, era_year: int) -> int:
        return self.first_day.year + era_year - 1

    def gregorian_to_year(self, year: int) -> int:
        return year - self.first_day.year + 1


@cache
def modern_eras() -> tuple[Era, ...]:
    """Return 明治, 大正, 昭和, 平成 and 令和, oldest first."""
    # Imported here because importing japanera took about 20 ms
    # (python -X importtime on a development machine).
    from japanera import ERA_DATA_GENERAL

    by_name = {era.kanji: era for era in ERA_DATA_GENERAL}
    eras = []
    for name in ERA_LETTERS.values():
        source = by_name[name]
        # japanera's `until` is exclusive because it is the first day of the next
        # era. 大正 and 昭和 began on the day the previous emperor died, so that
        # day belongs only to the new era (大正15年12月25日 is 昭和元年12月25日).
        last_day = source.until - datetime.timedelta(days=1) if source.until else None
        eras.append(
            Era(
                name=name,
                name_en=source.english_vowel_shortened,
                first_day=source.since,
                last_day=last_day,
            )
        )
    return tuple(eras)


def era_named(name: str) -> Era:
    """Return the era called ``name`` (e.g. "令和") or with the letter ``name`` (e.g. "R")."""
    name = ERA_LETTERS.get(name.upper(), name)
    for era in modern_eras():
        if era.name == name:
            return era
    raise KeyError(name)


def era_of(value: datetime.date) -> Era:
    """Return the era that contains ``value``.

    Raises:
        ValueError: ``value`` is before 明治6年1月1日 (1873-01-01), when 和暦
            dates were lunisolar.
    """
    if value < GREGORIAN_ADOPTION:
        raise ValueError(
            f"{value.isoformat()} is before 1873-01-01, when Japan adopted the Gregorian "
            "calendar, so it has no 和暦 equivalent by year arithmetic"
        )
    for era in reversed(modern_eras()):
        if era.contains(value):
            return era
    raise ValueError(f"no era contains {value.isoformat()}")


def format_wareki(value: datetime.date) -> str:
    """Format a date in 和暦 with ASCII digits, e.g. "令和7年7月27日" and "令和元年5月1日".

    A datetime is formatted by its own date, so convert it to Asia/Tokyo first.

    Raises:
        ValueError: ``value`` is before 1873-01-01 (see era_of).
    """
    if isinstance(value, datetime.datetime):
        value = value.date()
    era = era_of(value)
    return f"{era.name}{format_era_year(era.gregorian_to_year(value.year))}年{value.month}月{value.day}日"


def format_era_year(era_year: int) -> str:
    """Return "元" for the first year of an era and the ASCII number otherwise."""
    return "元" if era_year == 1 else str(era_year)
