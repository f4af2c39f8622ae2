"""Storage of the inventory, its snapshots and the open-data files, and application summaries.

S3 layout:

| bucket          | key                                  | content                         |
|-----------------|--------------------------------------|---------------------------------|
| InventoryBucket | ``inventory/current.csv``            | survey CSV, UTF-8 with BOM      |
| InventoryBucket | ``inventory/snapshots/<date>.json``  | ``InventorySnapshot`` of a date |
| OpenDataBucket  | ``opendata/<file name>``             | published open-data files       |

Application summaries come from the applications table's GSI1 (``GSI1PK =
PROCEDURE#<id>``), read with Query only, never Scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from pydantic import Field

from madoguchi import aws
from madoguchi.applications.status import ApplicationStatus
from madoguchi.environment import EnvironmentSettings
from madoguchi.inventory.csv_io import read_inventory_csv, write_inventory_csv
from madoguchi.inventory.kpi import InventorySnapshot
from madoguchi.inventory.models import Procedure
from madoguchi.inventory.suppression import DEFAULT_THRESHOLD
from madoguchi.inventory.usage import ONLINE_CHANNEL, ApplicationSummary

CURRENT_INVENTORY_KEY = "inventory/current.csv"
SNAPSHOT_PREFIX = "inventory/snapshots/"
OPENDATA_PREFIX = "opendata/"


class InventorySettings(EnvironmentSettings):
    """Settings of the inventory, dashboard and open-data functions, from environment variables."""

    table_name: str = Field(description="DynamoDB table of applications (GSI1 lists them)")
    inventory_bucket: str = Field(description="Private S3 bucket of the procedure inventory")
    opendata_bucket: str = Field(description="Private S3 bucket of the published open-data files")
    opendata_publisher_ja: str = Field(
        default="○○県", min_length=1, description="Publisher named in the attribution, Japanese"
    )
    opendata_publisher_en: str = Field(
        default="Example Prefecture",
        min_length=1,
        description="Publisher named in the attribution, English",
    )
    opendata_suppression_threshold: int = Field(
        default=DEFAULT_THRESHOLD, ge=2, description="Published counts from 1 to this minus 1 are hidden"
    )


@cache
def get_inventory_settings() -> InventorySettings:
    """Return the settings, read once per process."""
    return InventorySettings.from_environment()


def _s3() -> Any:
    return aws.client("s3")


def _is_missing(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound")


# --- inventory ----------------------------------------------------------------------------------


def load_current_inventory() -> list[Procedure] | None:
    """Return the stored inventory, or None when nothing has been imported yet."""
    try:
        response = _s3().get_object(
            Bucket=get_inventory_settings().inventory_bucket, Key=CURRENT_INVENTORY_KEY
        )
    except ClientError as exc:
        if _is_missing(exc):
            return None
        raise
    return read_inventory_csv(response["Body"].read())


def load_current_inventory_csv() -> bytes | None:
    """Return the stored inventory file as written (UTF-8 with BOM), or None if there is none."""
    try:
        response = _s3().get_object(
            Bucket=get_inventory_settings().inventory_bucket, Key=CURRENT_INVENTORY_KEY
        )
    except ClientError as exc:
        if _is_missing(exc):
            return None
        raise
    return response["Body"].read()


def save_inventory(procedures: list[Procedure], snapshot: InventorySnapshot) -> None:
    """Write the inventory as ``current.csv`` and its KPI snapshot under the snapshot's date.

    A second save on the same date replaces that date's snapshot.
    """
    bucket = get_inventory_settings().inventory_bucket
    _s3().put_object(
        Bucket=bucket,
        Key=CURRENT_INVENTORY_KEY,
        Body=write_inventory_csv(procedures, encoding="utf-8-sig"),
        ContentType="text/csv; charset=utf-8",
    )
    _s3().put_object(
        Bucket=bucket,
        Key=snapshot_key(snapshot.as_of),
        Body=snapshot.model_dump_json().encode("utf-8"),
        ContentType="application/json; charset=utf-8",
    )


def list_snapshots() -> list[InventorySnapshot]:
    """Return every stored snapshot, oldest first."""
    bucket = get_inventory_settings().inventory_bucket
    keys: list[str] = []
    paginator = _s3().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=SNAPSHOT_PREFIX):
        keys.extend(item["Key"] for item in page.get("Contents", []))

    snapshots = []
    for key in sorted(keys):
        body = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        snapshots.append(InventorySnapshot.model_validate_json(body))
    return sorted(snapshots, key=lambda snapshot: snapshot.as_of)


def snapshot_key(day: date) -> str:
    """Return the S3 key of the snapshot of ``day``."""
    return f"{SNAPSHOT_PREFIX}{day.isoformat()}.json"


# --- open data ----------------------------------------------------------------------------------


def put_opendata_file(name: str, body: bytes, content_type: str) -> None:
    """Write one published file under ``opendata/``."""
    _s3().put_object(
        Bucket=get_inventory_settings().opendata_bucket,
        Key=f"{OPENDATA_PREFIX}{name}",
        Body=body,
        ContentType=content_type,
    )


def get_opendata_file(name: str) -> tuple[bytes, str] | None:
    """Return a published file and its content type, or None if it was never published."""
    try:
        response = _s3().get_object(
            Bucket=get_inventory_settings().opendata_bucket, Key=f"{OPENDATA_PREFIX}{name}"
        )
    except ClientError as exc:
        if _is_missing(exc):
            return None
        raise
    return response["Body"].read(), response.get("ContentType", "application/octet-stream")


# --- application summaries ----------------------------------------------------------------------


def _query_procedure_items(procedure_id: str) -> Iterator[dict[str, Any]]:
    table = aws.table(get_inventory_settings().table_name)
    arguments: dict[str, Any] = {
        "IndexName": "GSI1",
        "KeyConditionExpression": Key("GSI1PK").eq(f"PROCEDURE#{procedure_id}"),
    }
    while True:
        response = table.query(**arguments)
        yield from response.get("Items", [])
        last_key = response.get("LastEvaluatedKey")
        if last_key is None:
            return
        arguments["ExclusiveStartKey"] = last_key


def list_application_summaries(procedure_ids: list[str]) -> list[ApplicationSummary]:
    """Return a summary of every application of the given procedures, from GSI1.

    A completed application's ``updated_at`` is its completion time, because no
    transition leaves the completed status. Every application on madoguchi was
    submitted online.
    """
    summaries: list[ApplicationSummary] = []
    for procedure_id in procedure_ids:
        for item in _query_procedure_items(procedure_id):
            status = str(item["status"])
            completed = status == ApplicationStatus.COMPLETED.value
            summaries.append(
                ApplicationSummary(
                    procedure_id=procedure_id,
                    submitted_at=datetime.fromisoformat(str(item["created_at"])),
                    status=status,
                    completed_at=datetime.fromisoformat(str(item["updated_at"]))
                    if completed
                    else None,
                    channel=ONLINE_CHANNEL,
                    # NOTE: payment is not wired into applications yet, so no summary has a
                    # payment method and the payment-methods dataset has no rows.
                    payment_method=None,
                )
            )
    return summaries
