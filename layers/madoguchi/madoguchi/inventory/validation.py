"""Validation of published open-data files against their data dictionary.

Run before publishing: an empty list of issues means the file matches its
dictionary, reveals no small count, and lets no hidden count be recovered by
subtracting the visible cells of a group from its total. Issues are English
sentences for operators and CI, not for residents.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

_UTF8_BOM = b"\xef\xbb\xbf"
_MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_INTEGER_PATTERN = re.compile(r"^-?\d+$")


@dataclass
class _Record:
    label: str  # "row 3" (CSV, header is row 1) or "record 2" (JSON, from 0)
    values: dict[str, Any]
    hidden: set[str]
    invalid: set[str]  # keys whose value already failed its type check


def validate_csv(data: bytes, dictionary: dict[str, Any]) -> list[str]:
    """Check a CSV file written by ``to_csv_bytes`` against its data dictionary.

    Returns every issue found, empty when the file is valid.
    """
    if not data.startswith(_UTF8_BOM):
        return ["CSV file does not start with a UTF-8 byte order mark"]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [f"CSV file is not valid UTF-8 at byte {exc.start}"]

    columns = dictionary["columns"]
    flag_name = dictionary["suppression"]["flag_column"]["name"]["ja"]
    expected_header = [column["name"]["ja"] for column in columns] + [flag_name]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return ["CSV file is empty; expected a header row"]
    if rows[0] != expected_header:
        return [f"CSV header {rows[0]} does not match the dictionary's {expected_header}"]

    issues: list[str] = []
    key_by_ja_name = {column["name"]["ja"]: column["key"] for column in columns}
    records: list[_Record] = []
    for index, cells in enumerate(rows[1:]):
        label = f"row {index + 2}"
        if len(cells) != len(expected_header):
            issues.append(f"{label}: has {len(cells)} cells, expected {len(expected_header)}")
            continue

        hidden: set[str] = set()
        for name in filter(
            None, cells[-1].split(dictionary["formats"]["csv"]["suppressed_separator"])
        ):
            if name not in key_by_ja_name:
                issues.append(f"{label}: suppressed-column flag names unknown column {name!r}")
            else:
                hidden.add(key_by_ja_name[name])

        values: dict[str, Any] = {}
        invalid: set[str] = set()
        for column, cell in zip(columns, cells[:-1], strict=True):
            value, problem = _parse_csv_cell(column, cell)
            if problem:
                issues.append(f"{label}, column {column['name']['ja']!r}: {problem}")
                invalid.add(column["key"])
            values[column["key"]] = value
        records.append(_Record(label, values, hidden, invalid))

    issues.extend(_check_records(records, dictionary))
    return issues


def _parse_csv_cell(column: dict[str, Any], cell: str) -> tuple[Any, str | None]:
    if cell == "":
        return None, None
    if column["allowed_values"] is not None:
        for allowed in column["allowed_values"]:
            if cell == allowed["ja"]:
                return allowed["code"], None
        labels = [allowed["ja"] for allowed in column["allowed_values"]]
        return None, f"value {cell!r} is not one of {labels}"
    if column["type"] == "integer":
        if not _INTEGER_PATTERN.match(cell):
            return None, f"value {cell!r} is not an integer"
        return int(cell), None
    if column["type"] == "number":
        try:
            return float(cell), None
        except ValueError:
            return None, f"value {cell!r} is not a number"
    return cell, None


def validate_json(document: dict[str, Any], dictionary: dict[str, Any]) -> list[str]:
    """Check a JSON document built by ``to_json_document`` against its data dictionary.

    Returns every issue found, empty when the document is valid.
    """
    issues: list[str] = []
    if document.get("dataset") != dictionary["dataset"]:
        issues.append(f"dataset is {document.get('dataset')!r}, expected {dictionary['dataset']!r}")
    licence = document.get("license") or {}
    if licence.get("id") != dictionary["license"]["id"]:
        issues.append(
            f"license id is {licence.get('id')!r}, expected {dictionary['license']['id']!r}"
        )
    if document.get("suppression_threshold") != dictionary["suppression"]["threshold"]:
        issues.append(
            f"suppression_threshold is {document.get('suppression_threshold')!r}, "
            f"expected {dictionary['suppression']['threshold']}"
        )

    columns = dictionary["columns"]
    flag_key = dictionary["suppression"]["flag_column"]["key"]
    expected_keys = {column["key"] for column in columns} | {flag_key}
    records: list[_Record] = []
    for index, item in enumerate(document.get("records", [])):
        label = f"record {index}"
        if set(item) != expected_keys:
            missing = sorted(expected_keys - set(item))
            extra = sorted(set(item) - expected_keys)
            issues.append(f"{label}: missing keys {missing}, unexpected keys {extra}")
            continue
        hidden = item[flag_key]
        if not isinstance(hidden, list) or not all(isinstance(key, str) for key in hidden):
            issues.append(f"{label}: {flag_key!r} must be a list of column keys")
            continue

        invalid: set[str] = set()
        for column in columns:
            problem = _check_json_value(column, item[column["key"]])
            if problem:
                issues.append(f"{label}, key {column['key']!r}: {problem}")
                invalid.add(column["key"])
        values = {column["key"]: item[column["key"]] for column in columns}
        records.append(_Record(label, values, set(hidden), invalid))

    issues.extend(_check_records(records, dictionary))
    return issues


def _check_json_value(column: dict[str, Any], value: Any) -> str | None:
    if value is None:
        return None
    if column["allowed_values"] is not None:
        codes = [allowed["code"] for allowed in column["allowed_values"]]
        return None if value in codes else f"value {value!r} is not one of {codes}"
    expected_type = column["type"]
    if expected_type == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return f"value {value!r} is not an integer"
    if expected_type == "number" and (
        not isinstance(value, int | float) or isinstance(value, bool)
    ):
        return f"value {value!r} is not a number"
    if expected_type in ("string", "date", "month") and not isinstance(value, str):
        return f"value {value!r} is not a string"
    return None


def _check_records(records: list[_Record], dictionary: dict[str, Any]) -> list[str]:
    issues: list[str] = []
    threshold = dictionary["suppression"]["threshold"]
    for record in records:
        for column in dictionary["columns"]:
            key = column["key"]
            if key in record.invalid:
                continue
            value = record.values[key]
            where = f"{record.label}, column {key!r}"
            if key in record.hidden:
                if not column["suppressible"]:
                    issues.append(f"{where}: is flagged as suppressed but is not suppressible")
                if value is not None:
                    issues.append(f"{where}: is flagged as suppressed but has the value {value!r}")
                continue
            if value is None:
                if column["required"]:
                    issues.append(f"{where}: is required but empty")
                continue
            problem = _check_format(column["type"], value)
            if problem:
                issues.append(f"{where}: {problem}")
            if column["suppressible"] and column["type"] == "integer" and 0 < value < threshold:
                issues.append(f"{where}: shows the count {value}, below the threshold {threshold}")

    if dictionary["total_rows"] is not None:
        issues.extend(_check_totals(records, dictionary["total_rows"], threshold))
    return issues


def _check_format(column_type: str, value: Any) -> str | None:
    if column_type == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return f"value {value!r} is not a date in YYYY-MM-DD form"
    if column_type == "month" and not _MONTH_PATTERN.match(str(value)):
        return f"value {value!r} is not a month in YYYY-MM form"
    if column_type == "integer" and value < 0:
        return f"value {value} is negative"
    return None


def _check_totals(records: list[_Record], total_rows: dict[str, Any], threshold: int) -> list[str]:
    """Check each group's total against its members, and that hidden cells stay hidden."""
    groups: dict[tuple[Any, ...], list[_Record]] = {}
    for record in records:
        group_key = tuple(record.values[key] for key in total_rows["group_by"])
        groups.setdefault(group_key, []).append(record)

    issues: list[str] = []
    for group_key, group in groups.items():
        totals = [
            r for r in group if r.values[total_rows["member_column"]] == total_rows["total_value"]
        ]
        members = [r for r in group if r not in totals]
        if len(totals) != 1:
            issues.append(f"group {group_key}: has {len(totals)} total rows, expected 1")
            continue
        total = totals[0]
        for key in total_rows["additive_columns"]:
            if key in total.hidden or any(key in record.invalid for record in group):
                continue
            hidden = [member for member in members if key in member.hidden]
            visible_sum = sum(
                member.values[key] or 0 for member in members if key not in member.hidden
            )
            hidden_sum = total.values[key] - visible_sum
            where = f"group {group_key}, column {key!r}"
            if not hidden and hidden_sum != 0:
                issues.append(
                    f"{where}: members add up to {visible_sum}, but the total is {total.values[key]}"
                )
            elif len(hidden) == 1:
                issues.append(
                    f"{where}: one hidden cell can be recovered as total minus the others"
                )
            elif hidden and hidden_sum < threshold:
                issues.append(
                    f"{where}: hidden cells add up to {hidden_sum}, below the threshold {threshold}"
                )
    return issues
