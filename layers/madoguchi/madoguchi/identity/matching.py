"""Match verified attributes (from the My Number card) against the answers of a form.

Comparison keys are used only to compare. The typed and the verified values are both
kept exactly as they are, so staff see 髙橋 and 高橋 side by side.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from madoguchi.japanese.text import normalize_digits_and_hyphens

Outcome = Literal["matched", "mismatched", "failed"]

# Small kana folded to their large forms: the card, Japan Post and residents write
# readings such as キヨウ and キョウ both ways.
_SMALL_KANA = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_SPACES_AND_DOTS = re.compile(r"[\s\u3000・･,，.．]+")
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z'\- ]*")
_KANJI_NUMBER = "〇一二三四五六七八九十百千"
_KANJI_BEFORE_UNIT = re.compile(f"([{_KANJI_NUMBER}]+)(?=丁目|番地|番|号)")
_TOWN_CHARACTER = re.compile(r"[^\d\-]")
_PREFECTURE = re.compile(r"^(東京都|北海道|(?:京都|大阪)府|.{2,3}県)")


@dataclass(frozen=True)
class Difference:
    """One attribute whose typed and verified values differ after folding."""

    attribute: str
    typed: str
    verified: str

    def as_dict(self) -> dict[str, str]:
        return {"attribute": self.attribute, "typed": self.typed, "verified": self.verified}


@dataclass(frozen=True)
class MatchResult:
    outcome: Outcome
    differences: list[Difference] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "differences": [difference.as_dict() for difference in self.differences],
            "checked": list(self.checked),
        }


@cache
def _variant_normalizer() -> Any:
    # jpnorm 0.1.3 folds 髙→高, 﨑→崎, 齋→斎, 邊→辺 and old forms to new ones, and
    # keeps 﨑 apart from 埼 (ja-cvu-normalizer maps 﨑 to 埼). Imported here because
    # only matching needs it.
    import jpnorm

    return jpnorm.Normalizer(
        "none",
        nfkc=True,
        unify_itaiji=True,
        kyujitai_to_shinjitai=True,
        remove_variation_selectors=True,
        halfwidth_kana_to_fullwidth=True,
        kana="hira_to_kata",
    )


def name_key(name: str) -> str:
    """Return the comparison key of a name: width, spaces, kana case, ひらがな/カタカナ,
    letter case and variant characters (異体字) folded."""
    folded = _variant_normalizer().normalize(unicodedata.normalize("NFKC", name))
    folded = _SPACES_AND_DOTS.sub("", folded).translate(_SMALL_KANA)
    return folded.casefold()


def names_match(typed: str, verified: str) -> bool:
    """Compare two names on their keys. Latin names may also differ in word order.

    The card writes a foreign resident's name as on the residence card, family name
    first in capitals ("SMITH JOHN"), while residents often type "John Smith".
    """
    if name_key(typed) == name_key(verified):
        return True
    typed_words = _latin_words(typed)
    verified_words = _latin_words(verified)
    return bool(typed_words) and typed_words == verified_words


def _latin_words(name: str) -> list[str] | None:
    text = unicodedata.normalize("NFKC", name).strip()
    if not _LATIN_NAME.fullmatch(text.replace(",", " ")):
        return None
    return sorted(word.casefold() for word in re.split(r"[\s,]+", text) if word)


def address_key(address: str) -> str:
    """Return the comparison key of an address.

    Digits become ASCII, hyphen look-alikes "-", kanji numerals before 丁目, 番地, 番
    and 号 become digits (一丁目 → 1), and "1丁目1番20号", "1番地の20" and "1-1-20"
    all become "1-1-20". Spaces are removed and variant characters folded.
    """
    import kanjize

    text = unicodedata.normalize("NFKC", address)
    text = normalize_digits_and_hyphens(text)
    text = _SPACES_AND_DOTS.sub("", text)
    text = _KANJI_BEFORE_UNIT.sub(lambda match: str(kanjize.kanji2number(match.group(1))), text)
    text = re.sub(r"(\d+)丁目", r"\1-", text)
    text = re.sub(r"(\d+)番地?の?", r"\1-", text)
    text = re.sub(r"(\d+)号", r"\1", text)
    text = re.sub(r"(?<=\d)の(?=\d)", "-", text)
    text = re.sub(r"-+", "-", text).rstrip("-")
    return _variant_normalizer().normalize(text).casefold()


def addresses_match(typed: str, verified: str) -> bool:
    """Compare addresses on their keys. The typed one may leave out the prefecture and city."""
    typed_key = address_key(typed)
    verified_key = address_key(verified)
    # The verified address is complete, so it ends with whatever part the resident
    # typed. A typed key of numbers alone ("1-1-20") names no town and never matches.
    if not _TOWN_CHARACTER.search(typed_key):
        return False
    return verified_key.endswith(typed_key)


def is_resident(verified_address: str, prefecture: str) -> bool:
    """Return whether the verified address lies in ``prefecture``."""
    match = _PREFECTURE.match(unicodedata.normalize("NFKC", verified_address).strip())
    return match is not None and match.group(1) == prefecture


def answer_field_ids(definition: Any) -> dict[str, str]:
    """Map the attributes name, birthdate and address to the form's field ids.

    Fields are found by their HTML autocomplete token (``name``, ``bday``,
    ``street-address``), so a new definition needs no code change.
    """
    tokens = {"name": "name", "bday": "birthdate", "street-address": "address"}
    found: dict[str, str] = {}
    for form_field in definition.fields:
        attribute = tokens.get(form_field.autocomplete or "")
        if attribute is not None and attribute not in found:
            found[attribute] = form_field.id
    return found


def match_identity(
    definition: Any, answers: dict[str, Any], verified: dict[str, Any], resident_prefecture: str
) -> MatchResult:
    """Compare the verified attributes with the answers.

    ``verified`` holds ``name``, ``birthdate`` (ISO date) and ``address`` as the
    provider returned them. An attribute missing on either side is not compared, but
    when nothing at all could be compared the result is ``failed``, never ``matched``.
    For a residents-only procedure an address outside ``resident_prefecture`` is a
    ``residency`` difference.
    """
    fields = answer_field_ids(definition)
    differences: list[Difference] = []
    checked: list[str] = []
    comparisons = {"name": names_match, "birthdate": _dates_match, "address": addresses_match}

    for attribute, compare in comparisons.items():
        typed = answers.get(fields.get(attribute, ""))
        value = verified.get(attribute)
        if not isinstance(typed, str) or not typed or not isinstance(value, str) or not value:
            continue
        checked.append(attribute)
        if not compare(typed, value):
            differences.append(Difference(attribute, typed, value))

    if getattr(definition, "residents_only", False):
        address = verified.get("address")
        if not isinstance(address, str) or not address:
            return MatchResult("failed", differences, checked)
        checked.append("residency")
        if not is_resident(address, resident_prefecture):
            differences.append(Difference("residency", resident_prefecture, address))

    if not checked:
        return MatchResult("failed", differences, checked)
    return MatchResult("mismatched" if differences else "matched", differences, checked)


def _dates_match(typed: str, verified: str) -> bool:
    from madoguchi.japanese import InputError, parse_date

    try:
        return parse_date(typed) == parse_date(verified)
    except InputError:
        return False
