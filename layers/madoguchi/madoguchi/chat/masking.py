"""Mask personal data in chat messages before they are logged or stored.

Masks e-mail addresses, 12-digit My Numbers (individual numbers), Japanese
phone numbers and any other run of 8 or more digits, such as a card or account
number. Digits may be full-width and separated by spaces, hyphens, dots or
brackets. Names and street addresses are not detected.
"""

from __future__ import annotations

import re

_DIGIT = "[0-9０-９]"
# Up to two separator characters between digits: spaces, hyphens of any width, the
# long vowel mark typed by mistake for a hyphen, dots and brackets.
_SEPARATOR_CHARACTER = r"[\s\-‐‑‒–—―−ー－.．()（）]"
_SEPARATOR = rf"{_SEPARATOR_CHARACTER}{{0,2}}"
# Python's look-behind needs a fixed width, hence one check per separator length.
_NOT_AFTER_DIGIT = (
    rf"(?<!{_DIGIT})(?<!{_DIGIT}{_SEPARATOR_CHARACTER})"
    rf"(?<!{_DIGIT}{_SEPARATOR_CHARACTER}{_SEPARATOR_CHARACTER})"
)
_NOT_BEFORE_DIGIT = rf"(?!{_SEPARATOR}{_DIGIT})"

_EMAIL = re.compile(r"[\w.+\-]+\s?[@＠]\s?[\w\-]+(?:[.．][\w\-]+)+")
_MY_NUMBER = re.compile(
    rf"{_NOT_AFTER_DIGIT}{_DIGIT}(?:{_SEPARATOR}{_DIGIT}){{11}}{_NOT_BEFORE_DIGIT}"
)
_INTERNATIONAL_PHONE = re.compile(
    rf"[+＋]\s?[8８][1１]{_SEPARATOR}{_DIGIT}(?:{_SEPARATOR}{_DIGIT}){{8,9}}{_NOT_BEFORE_DIGIT}"
)
_PHONE = re.compile(
    rf"{_NOT_AFTER_DIGIT}[0０]{_DIGIT}(?:{_SEPARATOR}{_DIGIT}){{8,9}}{_NOT_BEFORE_DIGIT}"
)
_LONG_NUMBER = re.compile(rf"{_NOT_AFTER_DIGIT}{_DIGIT}(?:{_SEPARATOR}{_DIGIT}){{7,}}")

EMAIL_MASK = "[EMAIL]"
MY_NUMBER_MASK = "[MY_NUMBER]"
PHONE_MASK = "[PHONE]"
NUMBER_MASK = "[NUMBER]"


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, My Numbers, phone numbers and long digit runs by placeholders.

    E-mail goes first because addresses may contain digits. A +81 number goes
    before the 12-digit My Number, which it would otherwise look like, and the My
    Number before domestic phone numbers, which have 10 or 11 digits.
    """
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _INTERNATIONAL_PHONE.sub(PHONE_MASK, text)
    text = _MY_NUMBER.sub(MY_NUMBER_MASK, text)
    text = _PHONE.sub(PHONE_MASK, text)
    return _LONG_NUMBER.sub(NUMBER_MASK, text)


def contains_personal_data(text: str) -> bool:
    return mask_personal_data(text) != text
