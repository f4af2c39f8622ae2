"""Japanese and English labels of the inventory's coded values.

The survey spreadsheet and the open-data CSV files show the Japanese label; JSON
files and the code use the code. The first Japanese label of each code is the one
written on export; the others are accepted on import as spellings found in survey
sheets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from madoguchi.inventory.models import LegalBasis, OnlineStatus, SealReviewAuthority, SealStatus


@dataclass(frozen=True)
class ValueLabel:
    """Labels of one coded value."""

    code: str
    ja: str
    en: str
    ja_aliases: tuple[str, ...] = ()


LEGAL_BASIS_LABELS: tuple[ValueLabel, ...] = (
    ValueLabel(LegalBasis.LAW, "法律・政令", "Law or cabinet order", ("法律", "政令", "法令")),
    ValueLabel(
        LegalBasis.ORDINANCE,
        "条例等",
        "Ordinance, rule, guideline or manual",
        ("条例・規則・要綱・要領等", "条例", "規則", "要綱", "要領"),
    ),
)

SEAL_STATUS_LABELS: tuple[ValueLabel, ...] = (
    ValueLabel(SealStatus.REQUIRED, "要", "Required", ("必要", "押印要")),
    ValueLabel(SealStatus.ABOLISHED, "廃止済", "Abolished", ("廃止済み", "廃止")),
    ValueLabel(SealStatus.REQUIRES_LAW_CHANGE, "法改正待ち", "Awaiting law change", ()),
    ValueLabel(SealStatus.NONE, "不要", "Never required", ("なし", "押印なし")),
)

SEAL_REVIEW_AUTHORITY_LABELS: tuple[ValueLabel, ...] = (
    ValueLabel(
        SealReviewAuthority.PREFECTURE,
        "県で見直し可能",
        "Prefecture can abolish",
        ("県で見直し可",),
    ),
    ValueLabel(
        SealReviewAuthority.LAW_CHANGE,
        "法令等の改正が必要",
        "Law change needed",
        ("法令改正が必要", "法改正が必要"),
    ),
)

ONLINE_STATUS_LABELS: tuple[ValueLabel, ...] = (
    ValueLabel(OnlineStatus.ONLINE, "オンライン化済", "Online", ("オンライン化済み", "済")),
    ValueLabel(OnlineStatus.PLANNED, "オンライン化予定", "Planned", ("予定",)),
    ValueLabel(
        OnlineStatus.UNSUITABLE, "オンライン化不適当", "Unsuitable for online", ("不適当", "対象外")
    ),
    ValueLabel(
        OnlineStatus.NOT_COST_EFFECTIVE, "費用対効果なし", "Not cost-effective", ("費用対効果",)
    ),
    ValueLabel(OnlineStatus.NOT_STARTED, "未着手", "Not started", ()),
)


def label_of(labels: tuple[ValueLabel, ...], code: str | StrEnum) -> ValueLabel:
    """Return the labels of ``code``.

    Raises:
        KeyError: ``code`` is not one of ``labels``.
    """
    for label in labels:
        if label.code == code:
            return label
    raise KeyError(code)


def code_for_japanese(labels: tuple[ValueLabel, ...], text: str) -> str | None:
    """Return the code whose Japanese label or alias is ``text``, or None if none matches."""
    for label in labels:
        if text == label.ja or text in label.ja_aliases:
            return label.code
    return None


_REIWA_FIRST_YEAR = 2019
_FISCAL_YEAR_PATTERN = re.compile(r"^(?:令和|R)\s*(元|\d{1,2})\s*(?:年度)?$")


def format_fiscal_year(year: int) -> str:
    """Format a fiscal year as the prefecture writes it, e.g. 2022 → 令和4年度."""
    reiwa_year = year - _REIWA_FIRST_YEAR + 1
    return "令和元年度" if reiwa_year == 1 else f"令和{reiwa_year}年度"


def parse_fiscal_year(text: str) -> int | None:
    """Parse 令和4年度, R4, 2022年度 or 2022 into 2022; return None for any other text."""
    normalized = text.strip().translate(_FULLWIDTH_DIGITS)
    match = _FISCAL_YEAR_PATTERN.match(normalized)
    if match:
        number = 1 if match.group(1) == "元" else int(match.group(1))
        return _REIWA_FIRST_YEAR + number - 1
    western = re.fullmatch(r"(\d{4})(?:年度)?", normalized)
    return int(western.group(1)) if western else None


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
