"""Inventory import and export, and open-data publishing, on top of ``store``.

Import is all or nothing: the file is parsed and checked completely before
anything is written, so a rejected file leaves the stored inventory unchanged.
Publishing validates every file against its data dictionary before the first
write, so a file that fails validation is never published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from aws_lambda_powertools import Logger

from madoguchi.i18n import translate_all
from madoguchi.inventory import store
from madoguchi.inventory.csv_io import decode_csv_bytes, read_inventory_csv
from madoguchi.inventory.kpi import take_snapshot
from madoguchi.inventory.models import Procedure
from madoguchi.inventory.opendata import (
    DATASETS,
    OpenDataset,
    Publisher,
    build_catalog,
    build_monthly_usage,
    build_payment_methods,
    data_dictionary,
    licence_metadata,
    to_csv_bytes,
    to_json_bytes,
)
from madoguchi.inventory.usage import JAPAN_STANDARD_TIME
from madoguchi.inventory.validation import validate_csv, validate_json
from madoguchi.procedures import load_catalog

logger = Logger(child=True)

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
LICENCE_FILE = "licence.json"
INDEX_FILE = "index.json"


class InventoryNotImported(LookupError):
    """No inventory has been imported yet."""


class OpenDataInvalid(Exception):
    """A built open-data file does not match its data dictionary, so nothing was published."""

    def __init__(self, issues: list[str]) -> None:
        self.issues = issues
        super().__init__(f"{len(issues)} validation issue(s), first: {issues[0]}")


class OpenDataFileNotFound(LookupError):
    """The name is not a published open-data file."""


@dataclass(frozen=True)
class ImportResult:
    """Outcome of a successful inventory import."""

    procedures: int
    encoding: str
    snapshot_date: date


@dataclass(frozen=True)
class PublishResult:
    """Outcome of an open-data publication."""

    published_at: datetime
    files: list[str]


def today_in_japan(now: datetime | None = None) -> date:
    """Return the calendar date in Japan Standard Time."""
    return (now or datetime.now(UTC)).astimezone(JAPAN_STANDARD_TIME).date()


# --- inventory ----------------------------------------------------------------------------------


def import_inventory_csv(data: bytes, now: datetime | None = None) -> ImportResult:
    """Replace the stored inventory with a survey CSV file and record today's KPI snapshot.

    Raises:
        InventoryCsvError: the file has problems. It lists every problem, and
            nothing is written.
    """
    _text, encoding = decode_csv_bytes(data)
    procedures = read_inventory_csv(data)

    snapshot = take_snapshot(procedures, today_in_japan(now))
    store.save_inventory(procedures, snapshot)
    logger.info(
        "inventory imported",
        extra={"procedures": len(procedures), "encoding": encoding, "snapshot": str(snapshot.as_of)},
    )
    return ImportResult(len(procedures), encoding, snapshot.as_of)


def seed_inventory(procedures: list[Procedure], now: datetime | None = None) -> bool:
    """Store ``procedures`` as the inventory unless one is stored already.

    Returns whether the inventory was written.
    """
    if store.load_current_inventory_csv() is not None:
        return False
    store.save_inventory(procedures, take_snapshot(procedures, today_in_japan(now)))
    return True


def export_inventory_csv() -> bytes:
    """Return the stored inventory as a survey CSV file in UTF-8 with BOM.

    Raises:
        InventoryNotImported: no inventory has been imported yet.
    """
    data = store.load_current_inventory_csv()
    if data is None:
        raise InventoryNotImported("no inventory has been imported")
    return data


# --- open data ----------------------------------------------------------------------------------


def publisher() -> Publisher:
    """Return the publisher named in the attribution of every open-data file."""
    settings = store.get_inventory_settings()
    return Publisher(name_ja=settings.opendata_publisher_ja, name_en=settings.opendata_publisher_en)


def opendata_file_names() -> list[str]:
    """Return the name of every file a publication writes, the index last."""
    names: list[str] = []
    for dataset in DATASETS:
        names.extend([f"{dataset}.csv", f"{dataset}.json", f"{dataset}.dictionary.json"])
    return [*names, LICENCE_FILE, INDEX_FILE]


def publish_open_data(now: datetime | None = None) -> PublishResult:
    """Build, validate and write every open-data file, then the index that lists them.

    Raises:
        InventoryNotImported: no inventory has been imported yet.
        OpenDataInvalid: a file fails validation against its dictionary; nothing is written.
    """
    now = now or datetime.now(UTC)
    procedures = store.load_current_inventory()
    if procedures is None:
        raise InventoryNotImported("no inventory has been imported")
    threshold = store.get_inventory_settings().opendata_suppression_threshold
    source = publisher()

    definitions = load_catalog()
    summaries = store.list_application_summaries(sorted(definitions))
    names = {procedure_id: definition.title.ja for procedure_id, definition in definitions.items()}
    datasets = [
        build_catalog(procedures, threshold),
        build_monthly_usage(summaries, names, threshold),
        build_payment_methods(summaries, threshold),
    ]

    files: dict[str, tuple[bytes, str]] = {}
    issues: list[str] = []
    for dataset in datasets:
        dataset_files, dataset_issues = _build_dataset_files(dataset, source, threshold)
        files.update(dataset_files)
        issues.extend(dataset_issues)
    if issues:
        logger.error("open data failed validation", extra={"issues": issues[:20]})
        raise OpenDataInvalid(issues)
    files[LICENCE_FILE] = (_json_bytes(licence_metadata(source)), JSON_CONTENT_TYPE)
    index = _index_document(datasets, source, threshold, now)
    files[INDEX_FILE] = (_json_bytes(index), JSON_CONTENT_TYPE)

    # The index goes last, so it never lists a file of a publication that stopped halfway.
    for name, (body, content_type) in files.items():
        store.put_opendata_file(name, body, content_type)
    logger.info("open data published", extra={"files": len(files), "published_at": now.isoformat()})
    return PublishResult(published_at=now, files=list(files))


def _build_dataset_files(
    dataset: OpenDataset, source: Publisher, threshold: int
) -> tuple[dict[str, tuple[bytes, str]], list[str]]:
    name = dataset.spec.name
    dictionary = data_dictionary(dataset.spec, source, threshold)
    csv_bytes = to_csv_bytes(dataset)
    json_bytes = to_json_bytes(dataset, source)

    issues = [f"{name}.csv: {issue}" for issue in validate_csv(csv_bytes, dictionary)]
    issues += [
        f"{name}.json: {issue}" for issue in validate_json(json.loads(json_bytes), dictionary)
    ]
    files = {
        f"{name}.csv": (csv_bytes, CSV_CONTENT_TYPE),
        f"{name}.json": (json_bytes, JSON_CONTENT_TYPE),
        f"{name}.dictionary.json": (_json_bytes(dictionary), JSON_CONTENT_TYPE),
    }
    return files, issues


def _index_document(
    datasets: list[OpenDataset], source: Publisher, threshold: int, now: datetime
) -> dict[str, Any]:
    return {
        "published_at": now.isoformat(),
        "license": licence_metadata(source),
        "licence_file": LICENCE_FILE,
        "suppression_threshold": threshold,
        "datasets": [
            {
                "name": dataset.spec.name,
                "title": translate_all(f"inventory.opendata.dataset.{dataset.spec.name}.title"),
                "description": translate_all(
                    f"inventory.opendata.dataset.{dataset.spec.name}.description"
                ),
                "records": len(dataset.records),
                "formats": {
                    "csv": f"{dataset.spec.name}.csv",
                    "json": f"{dataset.spec.name}.json",
                },
                "dictionary": f"{dataset.spec.name}.dictionary.json",
            }
            for dataset in datasets
        ],
    }


def _json_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def get_opendata_file(name: str) -> tuple[bytes, str]:
    """Return a published file and its content type.

    Raises:
        OpenDataFileNotFound: ``name`` is not a file that publishing writes, or it
            has not been published yet.
    """
    if name not in opendata_file_names():
        raise OpenDataFileNotFound(name)
    found = store.get_opendata_file(name)
    if found is None:
        raise OpenDataFileNotFound(name)
    return found


def opendata_index() -> dict[str, Any]:
    """Return the index of the latest publication.

    Raises:
        OpenDataFileNotFound: nothing has been published yet.
    """
    body, _content_type = get_opendata_file(INDEX_FILE)
    return json.loads(body)
