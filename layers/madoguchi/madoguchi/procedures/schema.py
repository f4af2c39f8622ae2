"""Derive the answers' JSON Schema (draft 2020-12) from a procedure definition.

The schema is published by ``GET /api/procedures/{id}`` and is also what the API
validates against (see ``validation.py``). Japanese-specific checks that JSON Schema
cannot express are custom formats (``jp-date``, ``jp-postal-code``, ``jp-phone``,
``jp-furigana``) and custom keywords: ``x-maxCharacters`` counts user-perceived
characters (𠮷 or a kanji with a variation selector is one), ``x-plainText`` rejects
control and bidirectional-override characters, ``x-pastOnly`` rejects dates after
today, and ``x-rules`` carries cross-field rules such as a minimum age on the exam date.
"""

from __future__ import annotations

from typing import Any

from madoguchi.attachments.models import UPLOAD_ID_PATTERN
from madoguchi.procedures.models import Condition, FormField, ProcedureDefinition

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_FORMATS = {
    "furigana": "jp-furigana",
    "date": "jp-date",
    "postal_code": "jp-postal-code",
    "phone": "jp-phone",
    "email": "email",
}


def build_answers_schema(definition: ProcedureDefinition) -> dict[str, Any]:
    """Return the JSON Schema that a complete set of answers must satisfy."""
    properties = {field.id: _field_schema(field) for field in definition.fields}
    required = [
        field.id for field in definition.fields if field.required and field.visible_when is None
    ]
    conditionals = [
        _conditional_requirement(field)
        for field in definition.fields
        if field.required and field.visible_when is not None
    ]

    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:madoguchi:procedure:{definition.id}:v{definition.version}:answers",
        "title": definition.title.ja,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "examples": [dict(example) for example in definition.example_answers],
    }
    if conditionals:
        schema["allOf"] = conditionals
    if definition.rules:
        schema["x-rules"] = [rule.model_dump(mode="json") for rule in definition.rules]
    return schema


def _field_schema(field: FormField) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": field.label.ja}
    if field.hint:
        schema["description"] = field.hint.ja

    if field.type in ("text", "textarea", "address"):
        schema["type"] = "string"
        schema["minLength"] = 1 if field.required else 0
        schema["x-plainText"] = "multiline" if field.type == "textarea" else "line"
        if field.max_length:
            schema["x-maxCharacters"] = field.max_length
    elif field.type in _FORMATS:
        schema["type"] = "string"
        schema["format"] = _FORMATS[field.type]
        schema["x-plainText"] = "line"
        if field.type == "email":
            schema["maxLength"] = 254
        if field.type == "date" and field.past_only:
            schema["x-pastOnly"] = True
        if field.max_length:
            schema["x-maxCharacters"] = field.max_length
    elif field.type == "single_choice":
        schema["type"] = "string"
        schema["enum"] = [option.value for option in field.options]
        schema["x-enumLabels"] = {option.value: option.label.ja for option in field.options}
    elif field.type == "multiple_choice":
        schema["type"] = "array"
        schema["items"] = {"enum": [option.value for option in field.options]}
        schema["uniqueItems"] = True
        schema["minItems"] = field.min_selected if field.min_selected is not None else 1
        if field.max_selected is not None:
            schema["maxItems"] = field.max_selected
        schema["x-enumLabels"] = {option.value: option.label.ja for option in field.options}
    elif field.type == "number":
        schema["type"] = "integer"
        if field.minimum is not None:
            schema["minimum"] = field.minimum
        if field.maximum is not None:
            schema["maximum"] = field.maximum
    elif field.type == "consent":
        schema["const"] = True
    elif field.type == "file":
        # Upload ids from POST /api/uploads. The schema checks their shape only; the
        # submission checks that each upload is an accepted file of this field.
        schema["type"] = "array"
        schema["items"] = {"type": "string", "pattern": UPLOAD_ID_PATTERN}
        schema["uniqueItems"] = True
        schema["maxItems"] = field.max_files
        if field.required and field.visible_when is None:
            schema["minItems"] = 1
        schema["x-accept"] = list(field.accept)
    return schema


def _condition_schema(condition: Condition) -> dict[str, Any]:
    if condition.equals is not None:
        test: dict[str, Any] = {"const": condition.equals}
    else:
        test = {"contains": {"enum": list(condition.includes_any or [])}}
    return {"properties": {condition.field: test}, "required": [condition.field]}


def _conditional_requirement(field: FormField) -> dict[str, Any]:
    assert field.visible_when is not None
    then: dict[str, Any] = {"required": [field.id]}
    if field.type == "file":
        # A required file field needs a file only while it is shown.
        then["properties"] = {field.id: {"minItems": 1, "x-accept": list(field.accept)}}
    return {"if": _condition_schema(field.visible_when), "then": then}
