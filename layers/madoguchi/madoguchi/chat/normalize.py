"""Text normalisation shared by the knowledge base and incoming questions.

Documents and questions go through the same steps, so a width, kana or synonym
variant in either one meets the same term in the index.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import yaml

Language = str  # "ja" or "en"

_SYNONYMS_FILE = Path(__file__).parent / "synonyms.yaml"
_KATAKANA = re.compile(r"[\u30a1-\u30f6]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[a-z]")
_SPACES = re.compile(r"\s+")


def normalize_width(text: str) -> str:
    """Apply NFKC (full-width Latin and digits, half-width kana), lowercase and collapse spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACES.sub(" ", text).strip()


def fold_kana(text: str) -> str:
    """Convert katakana to hiragana so that スマホ and すまほ compare equal. The mark ー is kept."""
    return _KATAKANA.sub(lambda match: chr(ord(match.group()) - 0x60), text)


def detect_language(text: str) -> Language | None:
    """Return "ja" when the text has any kana or kanji, "en" when it has Latin letters only.

    Returns ``None`` for text with neither, such as a bare number.
    """
    if _JAPANESE.search(text):
        return "ja"
    if _LATIN.search(normalize_width(text)):
        return "en"
    return None


class SynonymTable:
    """Replaces every listed variant of a term by the group's canonical term.

    The replacement works on whole strings before tokenisation, so multi-word
    variants such as 個人番号カード are caught. Japanese variants also match in
    their hiragana spelling (まいなかーど), because hiragana-only questions are common.
    """

    def __init__(self, groups: list[list[str]], *, match_words: bool) -> None:
        replacements: dict[str, str] = {}
        for group in groups:
            canonical = normalize_width(group[0])
            for variant in group:
                for spelling in {normalize_width(variant), fold_kana(normalize_width(variant))}:
                    replacements.setdefault(spelling, canonical)
        self._replacements = replacements
        # Longest first, so that マイナンバーカード wins over マイナ and 狩猟 over 猟.
        alternation = "|".join(
            re.escape(spelling) for spelling in sorted(replacements, key=len, reverse=True)
        )
        pattern = rf"\b(?:{alternation})\b" if match_words else f"(?:{alternation})"
        self._pattern = re.compile(pattern) if replacements else None

    def apply(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda match: self._replacements[match.group()], text)


@cache
def synonym_table(language: Language) -> SynonymTable:
    """Load the synonym groups of one language from ``synonyms.yaml``."""
    data = yaml.safe_load(_SYNONYMS_FILE.read_text(encoding="utf-8")) or {}
    groups = data.get(language) or []
    for group in groups:
        if not isinstance(group, list) or len(group) < 2:
            raise ValueError(
                f"{_SYNONYMS_FILE.name}: each {language} group must list a canonical term "
                f"and at least one variant, got {group!r}"
            )
    return SynonymTable(groups, match_words=(language == "en"))


def normalize_text(text: str, language: Language) -> str:
    """Normalise width and case, then replace synonym variants by canonical terms."""
    return synonym_table(language).apply(normalize_width(text))
