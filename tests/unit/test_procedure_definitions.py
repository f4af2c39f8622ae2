"""Tests of the procedure definitions in procedures/ and of the loader's error reports."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from madoguchi.procedures.loader import (
    DefinitionError,
    apply_window_overrides,
    load_definition,
    load_definitions,
)
from madoguchi.procedures.models import TOKYO, ProcedureDefinition
from madoguchi.procedures.schema import SCHEMA_DIALECT, build_answers_schema
from madoguchi.procedures.validation import validate_answers

ROOT = Path(__file__).resolve().parents[2]
DEFINITION_FILES = sorted((ROOT / "procedures").glob("*.yaml"))
TEMPLATE_FILE = ROOT / "procedures" / "cook-employment-notification.yaml"


def definition_ids() -> list[str]:
    return [path.stem for path in DEFINITION_FILES]


def load_source(path: Path = TEMPLATE_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_yaml(directory: Path, name: str, data: object) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_procedures_directory_not_empty() -> None:
    assert len(DEFINITION_FILES) >= 3


@pytest.mark.parametrize("path", DEFINITION_FILES, ids=definition_ids())
def test_definition_loads(path: Path) -> None:
    definition = load_definition(path)

    assert definition.id == path.stem
    assert definition.example_answers


@pytest.mark.parametrize("path", DEFINITION_FILES, ids=definition_ids())
def test_answers_schema_valid_draft_2020_12(path: Path) -> None:
    schema = build_answers_schema(load_definition(path))

    assert schema["$schema"] == SCHEMA_DIALECT
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", DEFINITION_FILES, ids=definition_ids())
def test_examples_validate_against_schema(path: Path) -> None:
    definition = load_definition(path)

    for example in definition.example_answers:
        normalised = validate_answers(definition, example)
        assert set(normalised) <= set(example)


@pytest.mark.parametrize("path", DEFINITION_FILES, ids=definition_ids())
def test_schema_examples_match_definition(path: Path) -> None:
    definition = load_definition(path)

    schema = build_answers_schema(definition)

    assert schema["examples"] == definition.example_answers


def test_catalog_loads_every_file() -> None:
    definitions = load_definitions(DEFINITION_FILES)

    assert sorted(definitions) == definition_ids()


def test_route_lengths_of_known_procedures() -> None:
    definitions = load_definitions(DEFINITION_FILES)

    assert len(definitions["cook-employment-notification"].approval_route.steps) == 1
    assert len(definitions["hunting-licence-exam"].approval_route.steps) == 2
    assert len(definitions["cook-licence"].approval_route.steps) == 3


def test_unknown_field_type_reported(tmp_path: Path) -> None:
    data = load_source()
    data["sections"][0]["fields"][0]["type"] = "signature"
    path = write_yaml(tmp_path, "cook-employment-notification", data)

    with pytest.raises(DefinitionError) as caught:
        load_definition(path)

    message = str(caught.value)
    assert str(path) in message
    assert "sections.0.fields.0.type" in message
    assert "'text'" in message
    assert caught.value.path == path


def test_visible_when_missing_field_reported(tmp_path: Path) -> None:
    data = load_source()
    employment_fields = data["sections"][2]["fields"]
    assert employment_fields[1]["id"] == "workplace_type_other"
    employment_fields[1]["visible_when"]["field"] = "workplace_kind"
    path = write_yaml(tmp_path, "cook-employment-notification", data)

    with pytest.raises(DefinitionError) as caught:
        load_definition(path)

    message = str(caught.value)
    assert str(path) in message
    assert "sections.2.fields.1.visible_when.field" in message
    assert "unknown field 'workplace_kind'" in message
    assert caught.value.problems[0][0] == "sections.2.fields.1.visible_when.field"


def test_fee_field_missing_reported(tmp_path: Path) -> None:
    data = load_source(ROOT / "procedures" / "hunting-licence-exam.yaml")
    data["fee"]["rule"]["field"] = "licence_kinds"
    path = write_yaml(tmp_path, "hunting-licence-exam", data)

    with pytest.raises(DefinitionError) as caught:
        load_definition(path)

    assert caught.value.problems == [("fee.rule.field", "fee refers to unknown field 'licence_kinds'")]


def test_duplicate_field_id_reported(tmp_path: Path) -> None:
    data = load_source()
    data["sections"][1]["fields"][0]["id"] = "full_name"
    path = write_yaml(tmp_path, "cook-employment-notification", data)

    with pytest.raises(DefinitionError) as caught:
        load_definition(path)

    assert caught.value.problems[0][0] == "sections.1.fields.0.id"


def test_bad_yaml_reported(tmp_path: Path) -> None:
    path = tmp_path / "cook-employment-notification.yaml"
    path.write_text("id: cook-employment-notification\ntitle: [unclosed\n", encoding="utf-8")

    with pytest.raises(DefinitionError) as caught:
        load_definition(path)

    message = str(caught.value)
    assert str(path) in message
    assert "YAML syntax error" in message
    assert "line 2" in message


def test_non_mapping_file_reported(tmp_path: Path) -> None:
    path = tmp_path / "cook-employment-notification.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")

    with pytest.raises(DefinitionError) as caught:
        load_definition(path)

    assert "must contain a mapping" in str(caught.value)


def test_id_not_file_name_reported(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, "cook-notification", load_source())

    with pytest.raises(DefinitionError) as caught:
        load_definition(path)

    message = str(caught.value)
    assert str(path) in message
    assert caught.value.problems[0][0] == "id"
    assert "must match the file name 'cook-notification'" in message


def test_unknown_key_reported(tmp_path: Path) -> None:
    data = load_source()
    data["sections"][0]["fields"][0]["maxlength"] = 30
    path = write_yaml(tmp_path, "cook-employment-notification", data)

    with pytest.raises(DefinitionError) as caught:
        load_definition(path)

    assert caught.value.problems[0][0] == "sections.0.fields.0.maxlength"


def test_several_files_reported_together(tmp_path: Path) -> None:
    broken_type = load_source()
    broken_type["sections"][0]["fields"][0]["type"] = "signature"
    first = write_yaml(tmp_path, "cook-employment-notification", broken_type)
    second = write_yaml(tmp_path, "other-name", load_source())

    with pytest.raises(DefinitionError) as caught:
        load_definitions([first, second])

    message = str(caught.value)
    assert "cook-employment-notification.yaml: sections.0.fields.0.type" in message
    assert "other-name.yaml: id" in message


def test_window_override_replaces_window(tmp_path: Path) -> None:
    definitions = load_definitions(DEFINITION_FILES)
    overrides = tmp_path / "windows.yaml"
    overrides.write_text(
        "hunting-licence-exam:\n"
        "  opens_at: 2026-01-01T00:00:00+09:00\n"
        "  closes_at: 2026-12-31T23:59:59+09:00\n",
        encoding="utf-8",
    )

    overridden = apply_window_overrides(definitions, overrides)

    hunting = overridden["hunting-licence-exam"]
    assert hunting.window_overridden is True
    assert hunting.is_open(datetime(2026, 6, 1, tzinfo=TOKYO))
    assert not hunting.is_open(datetime(2027, 7, 10, tzinfo=TOKYO))
    assert definitions["hunting-licence-exam"].is_open(datetime(2027, 7, 10, tzinfo=TOKYO))


def test_window_override_null_opens_always(tmp_path: Path) -> None:
    definitions = load_definitions(DEFINITION_FILES)
    overrides = tmp_path / "windows.yaml"
    overrides.write_text("cook-employment-notification: null\n", encoding="utf-8")

    overridden = apply_window_overrides(definitions, overrides)

    assert overridden["cook-employment-notification"].window is None
    assert overridden["cook-employment-notification"].is_open(datetime(2030, 1, 1, tzinfo=TOKYO))


def test_window_override_ignores_option_windows(tmp_path: Path) -> None:
    definitions = load_definitions(DEFINITION_FILES)
    overrides = tmp_path / "windows.yaml"
    overrides.write_text("hunting-licence-exam: null\n", encoding="utf-8")
    answers = definitions["hunting-licence-exam"].example_answers[0]
    moment = datetime(2026, 12, 1, tzinfo=TOKYO)

    overridden = apply_window_overrides(definitions, overrides)

    assert definitions["hunting-licence-exam"].closed_choices(answers, moment)
    assert overridden["hunting-licence-exam"].closed_choices(answers, moment) == []


def test_window_override_leaves_others(tmp_path: Path) -> None:
    definitions = load_definitions(DEFINITION_FILES)
    overrides = tmp_path / "windows.yaml"
    overrides.write_text("cook-employment-notification: null\n", encoding="utf-8")

    overridden = apply_window_overrides(definitions, overrides)

    assert overridden["hunting-licence-exam"] is definitions["hunting-licence-exam"]
    assert overridden["cook-licence"] is definitions["cook-licence"]


def test_window_override_unknown_id(tmp_path: Path) -> None:
    definitions = load_definitions(DEFINITION_FILES)
    overrides = tmp_path / "windows.yaml"
    overrides.write_text("fishing-licence: null\n", encoding="utf-8")

    with pytest.raises(DefinitionError) as caught:
        apply_window_overrides(definitions, overrides)

    assert caught.value.path == overrides
    assert caught.value.problems == [("fishing-licence", "no procedure has this id")]


def test_window_override_reversed_bounds(tmp_path: Path) -> None:
    definitions = load_definitions(DEFINITION_FILES)
    overrides = tmp_path / "windows.yaml"
    overrides.write_text(
        "cook-licence:\n"
        "  opens_at: 2027-01-31T00:00:00+09:00\n"
        "  closes_at: 2027-01-01T00:00:00+09:00\n",
        encoding="utf-8",
    )

    with pytest.raises(DefinitionError) as caught:
        apply_window_overrides(definitions, overrides)

    message = str(caught.value)
    assert str(overrides) in message
    assert "closes_at must be after opens_at" in message


def test_window_override_needs_offset(tmp_path: Path) -> None:
    definitions = load_definitions(DEFINITION_FILES)
    overrides = tmp_path / "windows.yaml"
    overrides.write_text(
        "cook-licence:\n"
        "  opens_at: 2027-01-01T00:00:00\n"
        "  closes_at: 2027-01-31T00:00:00+09:00\n",
        encoding="utf-8",
    )

    with pytest.raises(DefinitionError) as caught:
        apply_window_overrides(definitions, overrides)

    assert caught.value.problems[0][0] == "cook-licence.opens_at"


def test_fixture_override_opens_notification() -> None:
    definitions = load_definitions(DEFINITION_FILES)
    fixture = ROOT / "tests" / "fixtures" / "test-windows.yaml"

    overridden = apply_window_overrides(definitions, fixture)

    assert overridden["cook-employment-notification"].is_open(datetime(2026, 12, 4, tzinfo=TOKYO))
    assert overridden["hunting-licence-exam"].window == definitions["hunting-licence-exam"].window


def test_model_rejects_missing_fills_target() -> None:
    data = copy.deepcopy(load_source())
    data["sections"][0]["fields"][3]["fills"] = "home_address"

    with pytest.raises(ValueError, match="fills unknown field 'home_address'"):
        ProcedureDefinition.model_validate(data)
