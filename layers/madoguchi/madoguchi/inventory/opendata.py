"""Open-data datasets: procedure catalog, monthly usage and payment methods.

Each dataset is published as CSV (UTF-8 with BOM, Japanese headers, coded values
as Japanese labels) and as JSON (English keys, coded values as codes), with a
machine-readable data dictionary and licence metadata (CC BY 4.0). No dataset
contains personal data: usage figures are counts and medians per procedure and
month, with small counts suppressed as ``madoguchi.inventory.suppression``
describes. A hidden cell is empty (CSV) or null (JSON), and the row's
``suppressed`` column lists the hidden columns, so a hidden value can be told
apart from a value that does not apply.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from madoguchi.i18n import translate_all
from madoguchi.inventory.csv_io import protect_formula
from madoguchi.inventory.labels import (
    LEGAL_BASIS_LABELS,
    ONLINE_STATUS_LABELS,
    SEAL_REVIEW_AUTHORITY_LABELS,
    SEAL_STATUS_LABELS,
    ValueLabel,
    label_of,
)
from madoguchi.inventory.models import Procedure
from madoguchi.inventory.suppression import DEFAULT_THRESHOLD, is_small_count, suppress_group
from madoguchi.inventory.usage import ApplicationSummary, monthly_payment_counts, monthly_usage

ColumnType = Literal["string", "integer", "number", "date", "month"]

TOTAL_ROW_VALUE = "ALL"
SUPPRESSED_COLUMN = "suppressed"
SUPPRESSED_SEPARATOR = ";"

LICENCE_ID = "CC-BY-4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_URL_JA = "https://creativecommons.org/licenses/by/4.0/deed.ja"


@dataclass(frozen=True)
class Publisher:
    """The body that publishes the data, named in the attribution."""

    name_ja: str
    name_en: str


@dataclass(frozen=True)
class OpenColumn:
    """One column of an open-data dataset. Names and descriptions live in the message catalogs."""

    key: str
    type: ColumnType
    required: bool = False
    suppressible: bool = False
    labels: tuple[ValueLabel, ...] | None = None


@dataclass(frozen=True)
class TotalRows:
    """How a dataset's total rows relate to its member rows.

    Rows sharing the ``group_by`` values form a group, and the row whose
    ``member_column`` is ``TOTAL_ROW_VALUE`` contains the sum of each suppressible
    column over the others.
    """

    group_by: tuple[str, ...]
    member_column: str


@dataclass(frozen=True)
class DatasetSpec:
    """Columns and total-row layout of one dataset."""

    name: str
    columns: tuple[OpenColumn, ...]
    total_rows: TotalRows | None = None

    def column(self, key: str) -> OpenColumn:
        """Return the column named ``key``.

        Raises:
            KeyError: the dataset has no such column.
        """
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)


@dataclass(frozen=True)
class OpenDataset:
    """Rows of one dataset, ready to write, with the columns hidden in each row."""

    spec: DatasetSpec
    records: list[dict[str, Any]]
    suppressed: list[frozenset[str]]
    threshold: int


CATALOG = DatasetSpec(
    name="procedure-catalog",
    columns=(
        OpenColumn("procedure_id", "string", required=True),
        OpenColumn("name", "string", required=True),
        OpenColumn("department", "string", required=True),
        OpenColumn("legal_basis", "string", required=True, labels=LEGAL_BASIS_LABELS),
        OpenColumn("seal_status", "string", required=True, labels=SEAL_STATUS_LABELS),
        OpenColumn("seal_review_authority", "string", labels=SEAL_REVIEW_AUTHORITY_LABELS),
        OpenColumn("seal_abolished_on", "date"),
        OpenColumn("online_status", "string", required=True, labels=ONLINE_STATUS_LABELS),
        OpenColumn("target_fiscal_year", "integer"),
        OpenColumn("plan_step", "integer"),
        OpenColumn("online_since", "date"),
        OpenColumn("fee_yen", "integer"),
        OpenColumn("annual_volume", "integer", required=True, suppressible=True),
        OpenColumn("definition_id", "string"),
    ),
)

MONTHLY_USAGE = DatasetSpec(
    name="monthly-usage",
    columns=(
        OpenColumn("month", "month", required=True),
        OpenColumn("procedure_id", "string", required=True),
        OpenColumn("procedure_name", "string"),
        OpenColumn("applications", "integer", required=True, suppressible=True),
        OpenColumn("completed", "integer", required=True, suppressible=True),
        OpenColumn("completed_online", "integer", required=True, suppressible=True),
        OpenColumn("median_processing_days", "number", suppressible=True),
    ),
    total_rows=TotalRows(group_by=("month",), member_column="procedure_id"),
)

PAYMENT_METHODS = DatasetSpec(
    name="payment-methods",
    columns=(
        OpenColumn("month", "month", required=True),
        OpenColumn("payment_method", "string", required=True),
        OpenColumn("applications", "integer", required=True, suppressible=True),
    ),
    total_rows=TotalRows(group_by=("month",), member_column="payment_method"),
)

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec for spec in (CATALOG, MONTHLY_USAGE, PAYMENT_METHODS)
}

# Columns that are counts added up in total rows. The median is hidden with its
# ``completed`` cell instead, because a median of a few cases is one person's case.
_ADDITIVE_COLUMNS = {
    MONTHLY_USAGE.name: ("applications", "completed", "completed_online"),
    PAYMENT_METHODS.name: ("applications",),
}


# --- building datasets -----------------------------------------------------------------------


def build_catalog(
    procedures: Iterable[Procedure], threshold: int = DEFAULT_THRESHOLD
) -> OpenDataset:
    """Build the procedure catalog, hiding annual volumes from 1 to ``threshold - 1``.

    The catalog has no total rows, so only primary suppression applies. Notes are
    left out because staff may write names in them.
    """
    records: list[dict[str, Any]] = []
    suppressed: list[frozenset[str]] = []
    for procedure in procedures:
        record = {column.key: getattr(procedure, column.key) for column in CATALOG.columns}
        hidden = (
            frozenset({"annual_volume"})
            if is_small_count(procedure.annual_volume, threshold)
            else frozenset()
        )
        for key in hidden:
            record[key] = None
        records.append(record)
        suppressed.append(hidden)
    return OpenDataset(CATALOG, records, suppressed, threshold)


def build_monthly_usage(
    applications: Iterable[ApplicationSummary],
    procedure_names: Mapping[str, str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> OpenDataset:
    """Build monthly usage per procedure, with a total row per month.

    ``procedure_names`` maps a definition id to the name shown in the
    ``procedure_name`` column. Counts follow ``madoguchi.inventory.usage``.
    """
    names = procedure_names or {}
    applications = list(applications)
    by_month: dict[str, list[dict[str, Any]]] = {}
    for usage in monthly_usage(applications):
        by_month.setdefault(usage.month, []).append(
            {
                "month": usage.month,
                "procedure_id": usage.procedure_id,
                "procedure_name": names.get(usage.procedure_id),
                "applications": usage.applications,
                "completed": usage.completed,
                "completed_online": usage.completed_online,
                "median_processing_days": usage.median_processing_days,
            }
        )

    # The month's median over all procedures needs the individual cases.
    all_usage = {row.month: row for row in monthly_usage(_as_one_procedure(applications))}
    groups: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []
    for month, members in sorted(by_month.items()):
        total = {
            "month": month,
            "procedure_id": TOTAL_ROW_VALUE,
            "procedure_name": None,
            "applications": sum(row["applications"] for row in members),
            "completed": sum(row["completed"] for row in members),
            "completed_online": sum(row["completed_online"] for row in members),
            "median_processing_days": all_usage[month].median_processing_days,
        }
        groups.append((members, total))
    return _suppress_groups(MONTHLY_USAGE, groups, threshold)


def build_payment_methods(
    applications: Iterable[ApplicationSummary], threshold: int = DEFAULT_THRESHOLD
) -> OpenDataset:
    """Build paid applications per month and payment method, with a total row per month."""
    groups: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []
    for month, counts in sorted(monthly_payment_counts(applications).items()):
        members = [
            {"month": month, "payment_method": method, "applications": count}
            for method, count in sorted(counts.items())
        ]
        total = {
            "month": month,
            "payment_method": TOTAL_ROW_VALUE,
            "applications": sum(counts.values()),
        }
        groups.append((members, total))
    return _suppress_groups(PAYMENT_METHODS, groups, threshold)


def _as_one_procedure(applications: Iterable[ApplicationSummary]) -> list[ApplicationSummary]:
    return [
        application.model_copy(update={"procedure_id": TOTAL_ROW_VALUE})
        for application in applications
    ]


def _suppress_groups(
    spec: DatasetSpec, groups: list[tuple[list[dict[str, Any]], dict[str, Any]]], threshold: int
) -> OpenDataset:
    records: list[dict[str, Any]] = []
    suppressed: list[frozenset[str]] = []
    for members, total in groups:
        hidden_by_row: list[set[str]] = [set() for _ in members]
        hidden_in_total: set[str] = set()
        for key in _ADDITIVE_COLUMNS[spec.name]:
            hidden_members, total_hidden = suppress_group(
                [row[key] for row in members], total[key], threshold
            )
            for index in hidden_members:
                hidden_by_row[index].add(key)
            if total_hidden:
                hidden_in_total.add(key)

        for record, hidden in [*zip(members, hidden_by_row, strict=True), (total, hidden_in_total)]:
            # A median over fewer than ``threshold`` completions describes a few people.
            if "median_processing_days" in record and (
                "completed" in hidden or is_small_count(record["completed"], threshold)
            ):
                hidden.add("median_processing_days")
            for key in hidden:
                record[key] = None
            records.append(record)
            suppressed.append(frozenset(hidden))
    return OpenDataset(spec, records, suppressed, threshold)


# --- writing ---------------------------------------------------------------------------------


def column_names(column: OpenColumn) -> dict[str, str]:
    """Return the column's display names in every locale."""
    return translate_all(f"inventory.opendata.column.{column.key}.name")


def to_csv_bytes(dataset: OpenDataset) -> bytes:
    """Write a dataset as CSV in UTF-8 with BOM, Japanese headers and Japanese value labels.

    The last column, named after ``SUPPRESSED_COLUMN``, lists the Japanese headers
    of the hidden cells in the row, separated by ``SUPPRESSED_SEPARATOR``.
    """
    columns = dataset.spec.columns
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [column_names(column)["ja"] for column in columns] + [_suppressed_header()["ja"]]
    )
    for record, hidden in zip(dataset.records, dataset.suppressed, strict=True):
        cells = [_csv_cell(column, record[column.key]) for column in columns]
        flag = SUPPRESSED_SEPARATOR.join(
            column_names(column)["ja"] for column in columns if column.key in hidden
        )
        writer.writerow(cells + [flag])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(column: OpenColumn, value: Any) -> str:
    if value is None:
        return ""
    if column.labels is not None:
        return label_of(column.labels, value).ja
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return protect_formula(value)
    return str(value)


def to_json_document(dataset: OpenDataset, publisher: Publisher) -> dict[str, Any]:
    """Build the JSON document of a dataset: licence, suppression threshold and records."""
    records = []
    for record, hidden in zip(dataset.records, dataset.suppressed, strict=True):
        item = {column.key: _json_value(record[column.key]) for column in dataset.spec.columns}
        item[SUPPRESSED_COLUMN] = [
            column.key for column in dataset.spec.columns if column.key in hidden
        ]
        records.append(item)
    return {
        "dataset": dataset.spec.name,
        "title": translate_all(f"inventory.opendata.dataset.{dataset.spec.name}.title"),
        "license": licence_metadata(publisher),
        "suppression_threshold": dataset.threshold,
        "records": records,
    }


def to_json_bytes(dataset: OpenDataset, publisher: Publisher) -> bytes:
    """Write a dataset's JSON document as UTF-8, keeping Japanese characters unescaped."""
    return json.dumps(to_json_document(dataset, publisher), ensure_ascii=False, indent=2).encode(
        "utf-8"
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- dictionary and licence ------------------------------------------------------------------


def licence_metadata(publisher: Publisher) -> dict[str, Any]:
    """Return the licence block shared by every dataset and dictionary."""
    return {
        "id": LICENCE_ID,
        "name": translate_all("inventory.opendata.licence.name"),
        "url": LICENCE_URL,
        "url_ja": LICENCE_URL_JA,
        "attribution": {
            "ja": f"出典：{publisher.name_ja}「行政手続オンライン化オープンデータ」",
            "en": f"Source: {publisher.name_en}, open data on online administrative procedures",
        },
        "compatibility": translate_all("inventory.opendata.licence.compatibility"),
    }


def data_dictionary(
    spec: DatasetSpec, publisher: Publisher, threshold: int = DEFAULT_THRESHOLD
) -> dict[str, Any]:
    """Build the machine-readable data dictionary of a dataset.

    ``validate_csv`` and ``validate_json`` in ``madoguchi.inventory.validation``
    check files against it.
    """
    columns = []
    for column in spec.columns:
        entry: dict[str, Any] = {
            "key": column.key,
            "name": column_names(column),
            "type": column.type,
            "description": translate_all(f"inventory.opendata.column.{column.key}.description"),
            "required": column.required,
            "suppressible": column.suppressible,
            "allowed_values": None,
        }
        if column.labels is not None:
            entry["allowed_values"] = [
                {"code": str(label.code), "ja": label.ja, "en": label.en} for label in column.labels
            ]
        columns.append(entry)

    total_rows = None
    if spec.total_rows is not None:
        total_rows = {
            "group_by": list(spec.total_rows.group_by),
            "member_column": spec.total_rows.member_column,
            "total_value": TOTAL_ROW_VALUE,
            "additive_columns": list(_ADDITIVE_COLUMNS[spec.name]),
        }

    return {
        "dataset": spec.name,
        "title": translate_all(f"inventory.opendata.dataset.{spec.name}.title"),
        "description": translate_all(f"inventory.opendata.dataset.{spec.name}.description"),
        "license": licence_metadata(publisher),
        "formats": {
            "csv": {
                "encoding": "UTF-8 with BOM",
                "header": "name.ja",
                "coded_values": "ja",
                "suppressed_separator": SUPPRESSED_SEPARATOR,
            },
            "json": {"encoding": "UTF-8", "keys": "key", "coded_values": "code"},
        },
        "suppression": {
            "threshold": threshold,
            "flag_column": {"key": SUPPRESSED_COLUMN, "name": _suppressed_header()},
            "rule": translate_all("inventory.opendata.suppression_rule", threshold=threshold),
        },
        "total_rows": total_rows,
        "columns": columns,
    }


def _suppressed_header() -> dict[str, str]:
    return translate_all(f"inventory.opendata.column.{SUPPRESSED_COLUMN}.name")


def all_dictionaries(
    publisher: Publisher, threshold: int = DEFAULT_THRESHOLD
) -> list[dict[str, Any]]:
    """Build the dictionaries of every dataset, e.g. for a catalog page."""
    return [data_dictionary(spec, publisher, threshold) for spec in DATASETS.values()]


def dataset_names() -> Sequence[str]:
    """Return the names of the published datasets, as used in file names and API paths."""
    return list(DATASETS)
