"""Parsing of Western and 和暦 dates, and age calculation."""

from __future__ import annotations

import datetime
import re
import unicodedata

from madoguchi.japanese.eras import (
    ERA_LETTERS,
    GREGORIAN_ADOPTION,
    Era,
    era_named,
    format_era_year,
    format_wareki,
)
from madoguchi.japanese.errors import InputError
from madoguchi.japanese.text import normalize_digits_and_hyphens

_NUMBER = r"[0-9]{1,2}|[〇一二三四五六七八九十]{1,3}"
_ERA = "|".join([*ERA_LETTERS.values(), *ERA_LETTERS])

# Year, month and day are separated either by 年 月 (日) or twice by the same
# one of - / . so that "2025/7-27" is rejected as ambiguous.
_WESTERN_SEPARATED = re.compile(r"([0-9]{4})\s*([-/.])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,2})")
_WESTERN_KANJI = re.compile(rf"([0-9]{{4}})\s*年\s*({_NUMBER})\s*月\s*({_NUMBER})\s*日?")
_WESTERN_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_ERA_SEPARATED = re.compile(
    rf"({_ERA})\s*(元|[0-9]{{1,3}})\s*([-/.])\s*([0-9]{{1,2}})\s*\3\s*([0-9]{{1,2}})",
    re.IGNORECASE,
)
_ERA_KANJI = re.compile(
    rf"({_ERA})\s*(元|[0-9]{{1,3}}|[〇一二三四五六七八九十]{{1,4}})\s*年"
    rf"\s*({_NUMBER})\s*月\s*({_NUMBER})\s*日?",
    re.IGNORECASE,
)


def parse_date(text: str) -> datetime.date:
    """Parse a date typed in the Western calendar or in 和暦.

    Western: 2025-07-27, 2025/7/27, 2025.7.27, 2025年7月27日, 20250727.
    和暦: 令和7年7月27日, 令和元年5月1日, 令和七年七月二十七日, R7.7.27,
    r7/7/27, ㋿7.7.27, and the same for 平成 (H), 昭和 (S), 大正 (T) and 明治 (M).
    Full-width digits and letters, hyphen look-alikes and spaces between the
    parts are accepted. A 和暦 date must lie inside its era, so 平成31年5月1日
    and 令和元年4月30日 are rejected with the date to type instead.

    Raises:
        InputError: ``input.date_empty``, ``input.date_invalid_format``,
            ``input.date_month_out_of_range``, ``input.date_nonexistent``,
            ``input.date_era_ended``, ``input.date_era_not_started`` or
            ``input.date_lunisolar`` (和暦 before 明治6年, when Japan used the
            lunisolar calendar).
    """
    typed = text.strip()
    if not typed:
        raise InputError("input.date_empty")

    # NFKC turns full-width digits and letters into ASCII and the era ligatures
    # ㋿ ㍻ ㍼ ㍽ ㍾ into 令和 平成 昭和 大正 明治. It is safe here because a date
    # contains no name whose characters NFKC could change.
    normalized = normalize_digits_and_hyphens(unicodedata.normalize("NFKC", typed))

    for pattern, groups in (
        (_WESTERN_SEPARATED, (1, 3, 4)),
        (_WESTERN_KANJI, (1, 2, 3)),
        (_WESTERN_COMPACT, (1, 2, 3)),
    ):
        match = pattern.fullmatch(normalized)
        if match is not None:
            year, month, day = (_to_int(typed, match.group(index)) for index in groups)
            return _western_date(typed, year, month, day)

    for pattern, groups in ((_ERA_SEPARATED, (1, 2, 4, 5)), (_ERA_KANJI, (1, 2, 3, 4))):
        match = pattern.fullmatch(normalized)
        if match is not None:
            era_name, era_year, month, day = (match.group(index) for index in groups)
            return _era_date(
                typed, era_named(era_name), era_year, _to_int(typed, month), _to_int(typed, day)
            )

    raise InputError("input.date_invalid_format", value=typed)


def age_on(birth_date: datetime.date, on_date: datetime.date) -> int:
    """Return the age in completed years on ``on_date``.

    Under 年齢計算ニ関スル法律 and Civil Code art. 143 the next age is reached at
    the end of the day before the birthday, so this returns N on that day, and
    someone born on 29 February turns N on 28 February in every year.

    Raises:
        InputError: ``input.birth_date_after_reference`` when ``birth_date`` is
            after ``on_date``.
    """
    if birth_date > on_date:
        raise InputError(
            "input.birth_date_after_reference",
            birth_date=birth_date.isoformat(),
            on_date=on_date.isoformat(),
        )

    # Ordinary birthday arithmetic on the following day gives the legal age.
    # For a 29 February birth in a common year, 1 March is not before (2, 29),
    # so the age is already counted.
    next_day = on_date + datetime.timedelta(days=1)
    age = next_day.year - birth_date.year
    if (next_day.month, next_day.day) < (birth_date.month, birth_date.day):
        age -= 1
    return age


def _to_int(typed: str, number: str) -> int:
    if number.isascii():
        return int(number)
    # Imported here because only kanji numerals (七月二十七日) need kanjize.
    from kanjize import kanji2number

    try:
        return kanji2number(number)
    except ValueError:
        # kanjize rejects numerals such as 十十.
        raise InputError("input.date_invalid_format", value=typed) from None


def _western_date(typed: str, year: int, month: int, day: int) -> datetime.date:
    if year < datetime.MINYEAR:
        raise InputError("input.date_invalid_format", value=typed)
    return _checked_date(typed, f"{year}年{month}月{day}日", year, month, day)


def _era_date(typed: str, era: Era, era_year_text: str, month: int, day: int) -> datetime.date:
    era_year = 1 if era_year_text == "元" else _to_int(typed, era_year_text)
    canonical = f"{era.name}{format_era_year(era_year)}年{month}月{day}日"
    value = _checked_date(typed, canonical, era.year_to_gregorian(era_year), month, day)

    if value < GREGORIAN_ADOPTION:
        raise InputError("input.date_lunisolar", value=typed, date=canonical)

    details = {
        "value": typed,
        "date": canonical,
        "era": era.name,
        "era_en": era.name_en,
        "suggestion": format_wareki(value),
        "date_iso": value.isoformat(),
    }
    if value < era.first_day:
        raise InputError(
            "input.date_era_not_started",
            first_date=_era_relative_date(era, era.first_day),
            first_date_iso=era.first_day.isoformat(),
            **details,
        )
    if era.last_day is not None and value > era.last_day:
        raise InputError(
            "input.date_era_ended",
            last_date=_era_relative_date(era, era.last_day),
            last_date_iso=era.last_day.isoformat(),
            **details,
        )
    return value


def _checked_date(typed: str, canonical: str, year: int, month: int, day: int) -> datetime.date:
    if not 1 <= month <= 12:
        raise InputError("input.date_month_out_of_range", value=typed, month=month)

    last_day = _days_in_month(year, month)
    if not 1 <= day <= last_day:
        raise InputError(
            "input.date_nonexistent",
            value=typed,
            date=canonical,
            month=month,
            last_day=last_day,
        )
    if year < datetime.MINYEAR:
        # Only 和暦 years such as 明治0年 get here, and those are lunisolar.
        raise InputError("input.date_lunisolar", value=typed, date=canonical)
    return datetime.date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    # Written out because importing calendar, which imports locale, took about
    # 6 ms (python -X importtime), a quarter of this package's import time.
    if month == 2:
        is_leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if is_leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _era_relative_date(era: Era, value: datetime.date) -> str:
    """Format ``value`` without the era name, e.g. "31年4月30日", for "平成は31年4月30日まで"."""
    return f"{format_era_year(era.gregorian_to_year(value.year))}年{value.month}月{value.day}日"
