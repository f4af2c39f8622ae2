"""Answers as staff and residents read them: option labels, はい/いいえ, 320-8501."""

from __future__ import annotations

import re
from typing import Any

from madoguchi.i18n import translate

_STORED_POSTAL_CODE = re.compile(r"[0-9]{7}")


def display_answer(field: Any, value: Any, locale: str = "ja") -> str:
    """Return one stored answer as text: choices by their labels, lists joined, postal codes hyphenated."""
    if value is None:
        return ""
    labels = {option.value: option.label.get(locale) for option in field.options}
    if isinstance(value, list):
        separator = "、" if locale == "ja" else ", "
        return separator.join(labels.get(item, str(item)) for item in value)
    if isinstance(value, bool):
        return translate("pages.answer_yes" if value else "pages.answer_no", locale)
    if field.type == "postal_code" and isinstance(value, str) and _STORED_POSTAL_CODE.fullmatch(value):
        return f"{value[:3]}-{value[3:]}"
    return labels.get(value, str(value))
