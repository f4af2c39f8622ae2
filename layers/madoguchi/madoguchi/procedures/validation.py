"""Validate and normalise a set of answers against a procedure's answer schema."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from madoguchi import japanese
from madoguchi.i18n import translate_all
from madoguchi.procedures.errors import AnswersInvalid, FieldError
from madoguchi.procedures.models import TOKYO, MinimumAgeRule, ProcedureDefinition
from madoguchi.procedures.schema import build_answers_schema

MAX_UNKNOWN_FIELDS_REPORTED = 20

_format_checker = FormatChecker(formats=[])

# Local part and domain without spaces or control characters, and a dot in the domain.
# jsonschema's own "email" check only looks for "@", which lets "a@b" and header
# injection ("x@example.jp\r\nBcc: …") through.
_EMAIL = re.compile(r"^[^\s@\x00-\x1f\x7f]{1,64}@[^\s@\x00-\x1f\x7f]+\.[^\s@\x00-\x1f\x7f.]{2,}$")

# Characters that have no place in an answer: C0/C1 controls (tabs and line breaks
# only in multi-line fields), bidirectional overrides and isolates, which can make
# text display differently from what is stored, and lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAK = re.compile(r"[\t\n\r]")

# Whitespace that makes an answer look filled in while it is empty.
_BLANK = " \t\r\n\u3000\u200b\u200c\u200d\u2060\ufeff\u00a0"


@_format_checker.checks("email", raises=japanese.InputError)
def _check_email(value: object) -> bool:
    if isinstance(value, str) and not _EMAIL.match(value):
        raise japanese.InputError("answers.email_invalid")
    return True


@_format_checker.checks("jp-date", raises=japanese.InputError)
def _check_date(value: object) -> bool:
    return not isinstance(value, str) or bool(japanese.parse_date(value))


@_format_checker.checks("jp-postal-code", raises=japanese.InputError)
def _check_postal_code(value: object) -> bool:
    return not isinstance(value, str) or bool(japanese.parse_postal_code(value))


@_format_checker.checks("jp-phone", raises=japanese.InputError)
def _check_phone(value: object) -> bool:
    return not isinstance(value, str) or bool(japanese.parse_phone_number(value))


@_format_checker.checks("jp-furigana", raises=japanese.InputError)
def _check_furigana(value: object) -> bool:
    return not isinstance(value, str) or bool(japanese.normalize_furigana(value))


def _max_characters(validator, maximum, instance, schema):
    if isinstance(instance, str):
        count = japanese.count_characters(instance)
        if count > maximum:
            error = ValidationError(f"{count} characters, maximum {maximum}")
            error.validator_value = {"maximum": maximum, "actual": count}
            yield error


def _plain_text(validator, mode, instance, schema):
    if not isinstance(instance, str):
        return
    found = _CONTROL.search(instance)
    if found is None and mode == "line":
        found = _LINE_BREAK.search(instance)
    if found is not None:
        error = ValidationError(f"character U+{ord(found.group(0)):04X} is not allowed")
        error.validator_value = {"code_point": f"U+{ord(found.group(0)):04X}"}
        yield error


def _past_only(validator, enabled, instance, schema):
    if not enabled or not isinstance(instance, str):
        return
    try:
        value = japanese.parse_date(instance)
    except japanese.InputError:
        return  # the format check reports it
    today = dt.datetime.now(TOKYO).date()
    if value > today:
        error = ValidationError(f"{value.isoformat()} is after today")
        error.validator_value = {"today": japanese.format_wareki(today), "today_iso": today.isoformat()}
        yield error


def _rules(validator, rules, instance, schema):
    # Cross-field rules run only once the fields they read are individually valid,
    # so they never repeat a format error.
    if not isinstance(instance, dict):
        return
    for raw_rule in rules:
        rule = MinimumAgeRule.model_validate(raw_rule)
        error = _check_minimum_age(rule, instance, schema)
        if error is not None:
            yield error


def _check_minimum_age(rule: MinimumAgeRule, answers: dict, schema: dict) -> ValidationError | None:
    if rule.when is not None and not rule.when.matches(answers):
        return None
    try:
        birth_date = japanese.parse_date(str(answers.get(rule.birth_date_field, "")))
    except japanese.InputError:
        return None
    on_date = rule.on_date or _option_date(schema, rule.on_option_date_of, answers)
    if on_date is None or japanese.age_on(birth_date, on_date) >= rule.years:
        return None
    error = ValidationError(rule.message.ja)
    error.validator_value = {"field": rule.birth_date_field, "message": rule.message}
    return error


def _option_date(schema: dict, field_id: str | None, answers: dict) -> dt.date | None:
    dates = schema["properties"].get(field_id, {}).get("x-optionDates", {})
    value = dates.get(answers.get(field_id))
    return dt.date.fromisoformat(value) if value else None


AnswersValidator = validators.extend(
    Draft202012Validator,
    {
        "x-maxCharacters": _max_characters,
        "x-plainText": _plain_text,
        "x-pastOnly": _past_only,
        "x-rules": _rules,
    },
)


def schema_for_validation(definition: ProcedureDefinition) -> dict[str, Any]:
    """Return the published schema plus the option dates the age rules need."""
    schema = build_answers_schema(definition)
    for form_field in definition.fields:
        dates = {o.value: o.date.isoformat() for o in form_field.options if o.date}
        if dates:
            schema["properties"][form_field.id]["x-optionDates"] = dates
    return schema


def validate_answers(definition: ProcedureDefinition, answers: object) -> dict[str, Any]:
    """Validate ``answers`` and return them normalised for storage.

    Answers to fields hidden by their condition are dropped. Names and other free
    text are kept exactly as typed; dates become ISO dates, postal codes seven
    digits, phone numbers ASCII digits with hyphens where the resident grouped them, and
    readings full-width katakana.

    Raises:
        AnswersInvalid: one or more answers are missing or invalid.
    """
    if not isinstance(answers, dict):
        raise AnswersInvalid([_field_error("", "answers.not_an_object")])

    visible = _visible_answers(definition, answers)
    schema = schema_for_validation(definition)
    validator = AnswersValidator(schema, format_checker=_format_checker)

    errors: dict[str, FieldError] = {}
    for error in sorted(validator.iter_errors(visible), key=_error_order):
        for field_error in _to_field_errors(error, visible):
            errors.setdefault(field_error.field, field_error)
    if errors:
        order = {form_field.id: index for index, form_field in enumerate(definition.fields)}
        ordered = sorted(errors.values(), key=lambda e: order.get(e.field, len(order)))
        raise AnswersInvalid(ordered)

    return _normalise(definition, visible)


def _visible_answers(definition: ProcedureDefinition, answers: dict) -> dict[str, Any]:
    known = {form_field.id for form_field in definition.fields}
    visible: dict[str, Any] = {}
    for key, value in answers.items():
        if key in known:
            form_field = definition.field(key)
            condition = form_field.visible_when
            if condition is not None and not condition.matches(answers):
                continue
            if isinstance(value, str) and not value.strip(_BLANK):
                value = ""
            if value in ("", None, []) and not form_field.required:
                continue
            if value == "" or value is None:
                continue
        visible[key] = value
    return visible


def _error_order(error: ValidationError) -> int:
    # Report a field's own problem before a cross-field rule about it.
    return 1 if error.validator == "x-rules" else 0


def _to_field_errors(error: ValidationError, answers: dict) -> list[FieldError]:
    path = [str(part) for part in error.absolute_path]
    field_id = path[0] if path else ""

    match error.validator:
        case "required":
            missing = [name for name in error.validator_value if name not in answers]
            properties = error.schema.get("properties", {})
            return [
                _field_error(
                    name,
                    "answers.file_required" if "x-accept" in properties.get(name, {}) else "answers.required",
                )
                for name in missing
            ]
        case "additionalProperties":
            # Capped, so a request with thousands of unknown keys gets a short answer.
            extra = sorted(set(answers) - set(error.schema.get("properties", {})))
            return [
                _field_error(name[:100], "answers.unknown_field", name=name[:100])
                for name in extra[:MAX_UNKNOWN_FIELDS_REPORTED]
            ]
        case "format" if isinstance(error.cause, japanese.InputError):
            return [_field_error(field_id, error.cause.code, **error.cause.params)]
        case "format":
            return [_field_error(field_id, "answers.format_invalid")]
        case "x-plainText":
            return [_field_error(field_id, "answers.invalid_character", **error.validator_value)]
        case "x-pastOnly":
            return [_field_error(field_id, "answers.date_in_future", **error.validator_value)]
        case "x-maxCharacters":
            return [_field_error(field_id, "answers.too_long", **error.validator_value)]
        case "minLength":
            return [_field_error(field_id, "answers.required")]
        case "enum":
            return [_field_error(field_id, "answers.choice_invalid")]
        case "minItems" if _is_file_field(error):
            return [_field_error(field_id, "answers.file_required")]
        case "maxItems" if _is_file_field(error):
            return [_field_error(field_id, "answers.files_at_most", count=error.validator_value)]
        case "minItems":
            return [_field_error(field_id, "answers.select_at_least", count=error.validator_value)]
        case "maxItems":
            return [_field_error(field_id, "answers.select_at_most", count=error.validator_value)]
        case "uniqueItems":
            return [_field_error(field_id, "answers.choice_repeated")]
        case "const":
            return [_field_error(field_id, "answers.consent_required")]
        case "minimum" | "maximum":
            return [_field_error(field_id, f"answers.number_{error.validator}", limit=error.validator_value)]
        case "type":
            return [_field_error(field_id, f"answers.type_{_expected_type(error)}")]
        case "x-rules":
            rule_field = error.validator_value["field"]
            message = error.validator_value["message"]
            return [FieldError(rule_field, "answers.rule_failed", {"ja": message.ja, "en": message.get("en")})]
    return [_field_error(field_id, "answers.invalid")]


def _is_file_field(error: ValidationError) -> bool:
    return "x-accept" in error.schema


def _expected_type(error: ValidationError) -> str:
    expected = error.validator_value
    return expected if expected in ("string", "array", "integer") else "other"


def _field_error(field_id: str, code: str, **params: object) -> FieldError:
    return FieldError(field_id, code, translate_all(code, **params))


def _normalise(definition: ProcedureDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    normalised: dict[str, Any] = {}
    for key, value in answers.items():
        form_field = definition.field(key)
        match form_field.type:
            case "date":
                normalised[key] = japanese.parse_date(value).isoformat()
            case "postal_code":
                normalised[key] = japanese.parse_postal_code(value)
            case "phone":
                normalised[key] = japanese.parse_phone_number(value)
            case "furigana":
                normalised[key] = japanese.normalize_furigana(value)
            case _:
                normalised[key] = value
    return normalised
