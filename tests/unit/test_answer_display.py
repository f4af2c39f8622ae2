"""Answers shown to staff and residents (confirmation, approval page, diff, CSV export)."""

from __future__ import annotations

import pytest
from madoguchi.procedures import get_procedure
from madoguchi.procedures.display import display_answer


def field(procedure_id: str, field_id: str):
    return next(item for item in get_procedure(procedure_id).fields if item.id == field_id)


def test_postal_code_gets_hyphen() -> None:
    assert display_answer(field("cook-licence", "postal_code"), "3208501") == "320-8501"


def test_odd_postal_code_kept() -> None:
    assert display_answer(field("cook-licence", "postal_code"), "320") == "320"


@pytest.mark.parametrize(("locale", "expected"), [("ja", "はい"), ("en", "Yes")])
def test_boolean_in_locale(locale: str, expected: str) -> None:
    assert display_answer(field("cook-licence", "no_disqualification"), True, locale) == expected


def test_choices_by_label() -> None:
    licence_types = field("hunting-licence-exam", "licence_types")
    values = [option.value for option in licence_types.options[:2]]
    labels = [option.label.ja for option in licence_types.options[:2]]

    assert display_answer(licence_types, values) == "、".join(labels)


def test_missing_answer_empty() -> None:
    assert display_answer(field("cook-licence", "postal_code"), None) == ""
