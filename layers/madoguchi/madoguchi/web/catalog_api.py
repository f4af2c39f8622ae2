"""JSON views of the procedure catalog and the postal-code lookup."""

from __future__ import annotations

from typing import Any

from madoguchi import japanese
from madoguchi.japanese.postal_lookup import lookup_postal_code
from madoguchi.procedures.models import ProcedureDefinition
from madoguchi.procedures.schema import build_answers_schema


def _localized(text: Any) -> dict[str, str] | None:
    return None if text is None else {"ja": text.ja, "en": text.get("en")}


def _fee_summary(definition: ProcedureDefinition) -> dict[str, Any] | None:
    if definition.fee is None:
        return None
    return {
        **definition.fee.rule.model_dump(mode="json"),
        "currency": "JPY",
        "refundable": definition.fee.refundable,
        "note": _localized(definition.fee.note),
    }


def procedure_summaries(catalog: dict[str, ProcedureDefinition]) -> list[dict[str, Any]]:
    return [
        {
            "id": definition.id,
            "title": _localized(definition.title),
            "department": _localized(definition.department.name),
            "fee": _fee_summary(definition),
            "window": definition.window.model_dump(mode="json") if definition.window else None,
            "identity": definition.identity,
            "form_url": f"/procedures/{definition.id}",
        }
        for definition in sorted(catalog.values(), key=lambda d: d.id)
    ]


def procedure_detail(definition: ProcedureDefinition) -> dict[str, Any]:
    """Return the definition as published, with ``answers_schema`` (JSON Schema 2020-12)."""
    return {
        "id": definition.id,
        "version": definition.version,
        "definition": definition.model_dump(mode="json", exclude={"example_answers"}),
        "fee": _fee_summary(definition),
        "answers_schema": build_answers_schema(definition),
    }


def postal_address(text: str) -> dict[str, str] | None:
    """Look up a postal code; None when the code is malformed or unknown."""
    try:
        code = japanese.parse_postal_code(text)
    except japanese.InputError:
        return None
    address = lookup_postal_code(code)
    if address is None:
        return None
    return {
        "postal_code": japanese.format_postal_code(code),
        "prefecture": address.prefecture,
        "city": address.city,
        "town": address.town,
        "address": f"{address.prefecture}{address.city}{address.town}",
    }
