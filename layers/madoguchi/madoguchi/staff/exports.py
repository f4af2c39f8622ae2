"""Exports for staff: a CSV of a procedure's applications in a period (UTF-8 with BOM,
so Excel opens it) and a zip of their accepted attachments, built asynchronously.

Items: ``EXPORT#<id>`` / ``META`` with ``state`` pending → ready or failed, removed by
TTL after 7 days. Files: ``exports/<id>/`` in the answers bucket (SSE-KMS).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import tempfile
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.applications import repository, storage
from madoguchi.applications.status import status_label
from madoguchi.procedures import get_procedure
from madoguchi.procedures.display import display_answer
from madoguchi.procedures.models import TOKYO, ProcedureDefinition
from madoguchi.settings import get_settings
from madoguchi.staff.settings import get_staff_settings

logger = Logger(child=True)

EXPORT_TTL_SECONDS = 7 * 86400
MAX_PERIOD_DAYS = 366
# OWASP "CSV injection": a cell starting with one of these runs as a formula in Excel.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ExportRequestInvalid(ValueError):
    """The export request names no procedure, or its period is invalid or too long."""


class ExportNotFound(LookupError):
    """No export has this id."""


def _table() -> Any:
    return aws.table(get_settings().table_name)


def _key(export_id: str) -> dict[str, str]:
    return {"PK": f"EXPORT#{export_id}", "SK": "META"}


def escape_cell(value: str) -> str:
    """Prefix a formula-looking cell with ``'`` so spreadsheets show it as text."""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def parse_period(start: object, end: object) -> tuple[date, date]:
    """Return the inclusive period (Asia/Tokyo dates).

    Raises:
        ExportRequestInvalid: a date is missing or not ISO 8601, the end is before the
            start, or the period is longer than MAX_PERIOD_DAYS.
    """
    try:
        first = date.fromisoformat(str(start))
        last = date.fromisoformat(str(end))
    except ValueError as exc:
        raise ExportRequestInvalid("from and to must be dates such as 2027-01-04") from exc
    if last < first:
        raise ExportRequestInvalid("to must not be before from")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ExportRequestInvalid(f"the period may be at most {MAX_PERIOD_DAYS} days")
    return first, last


def request_export(
    procedure_id: str, first: date, last: date, requested_by: str, now: datetime | None = None
) -> str:
    """Store a pending export, start the export function asynchronously and return the id.

    Raises:
        ProcedureNotFound: unknown procedure.
    """
    now = now or datetime.now(UTC)
    get_procedure(procedure_id)
    export_id = secrets.token_urlsafe(16)
    _table().put_item(
        Item={
            **_key(export_id),
            "export_id": export_id,
            "state": "pending",
            "procedure_id": procedure_id,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "requested_by": requested_by,
            "created_at": now.isoformat(),
            "expires_at_epoch": int(now.timestamp()) + EXPORT_TTL_SECONDS,
        },
        ConditionExpression="attribute_not_exists(PK)",
    )
    # InvocationType=Event: Lambda queues the run and returns 202 at once. The local
    # stack's moto runs the function before it returns.
    aws.client("lambda").invoke(
        FunctionName=get_staff_settings().export_function_name,
        InvocationType="Event",
        Payload=json.dumps({"export_id": export_id}).encode(),
    )
    logger.info("export requested", extra={"export_id": export_id, "procedure_id": procedure_id})
    return export_id


def export_status(export_id: str) -> dict[str, Any]:
    """Return the state of an export and, once ready, presigned download links.

    Raises:
        ExportNotFound: unknown export id.
    """
    item = _table().get_item(Key=_key(export_id), ConsistentRead=True).get("Item")
    if item is None:
        raise ExportNotFound(export_id)
    status: dict[str, Any] = {
        "export_id": export_id,
        "state": item["state"],
        "procedure_id": item["procedure_id"],
        "from": item["from"],
        "to": item["to"],
        "created_at": item["created_at"],
    }
    if item["state"] == "ready":
        status["application_count"] = int(item["application_count"])
        status["attachment_count"] = int(item["attachment_count"])
        status["files"] = {
            "csv": _download_url(item["csv_key"], item["csv_name"], "text/csv; charset=utf-8"),
            "attachments": _download_url(item["zip_key"], item["zip_name"], "application/zip"),
        }
        status["links_expire_in_seconds"] = get_staff_settings().export_url_ttl_seconds
    return status


def _download_url(key: str, file_name: str, content_type: str) -> str:
    from madoguchi.attachments.files import attachment_disposition

    return aws.client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": get_settings().answers_bucket,
            "Key": key,
            "ResponseContentDisposition": attachment_disposition(file_name),
            "ResponseContentType": content_type,
        },
        ExpiresIn=get_staff_settings().export_url_ttl_seconds,
    )


# --- The export function ---------------------------------------------------------------


def build_export(export_id: str) -> dict[str, Any]:
    """Write the CSV and the attachments zip of a pending export and mark it ready.

    A failure marks the export ``failed`` and is raised again for the function's log.
    """
    item = _table().get_item(Key=_key(export_id), ConsistentRead=True).get("Item")
    if item is None:
        raise ExportNotFound(export_id)
    if item["state"] != "pending":
        return {"state": item["state"]}
    try:
        return _build(item)
    except Exception:
        _table().update_item(
            Key=_key(export_id),
            UpdateExpression="SET #state = :failed",
            ConditionExpression="#state = :pending",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":failed": "failed", ":pending": "pending"},
        )
        raise


def _build(item: dict[str, Any]) -> dict[str, Any]:
    export_id = item["export_id"]
    definition = get_procedure(item["procedure_id"])
    first, last = date.fromisoformat(item["from"]), date.fromisoformat(item["to"])
    records = list(_applications_in_period(definition.id, first, last))

    rows = []
    uploads: list[tuple[str, str, str]] = []  # (reference number, field label, upload id)
    for record in records:
        answers = storage.load_answers(record.answers_key)["answers"]
        rows.append(_csv_row(definition, record, answers))
        for field in definition.fields:
            if field.type == "file":
                for upload_id in answers.get(field.id) or []:
                    uploads.append((record.reference_number, field.label.ja, upload_id))

    period = f"{first.isoformat()}_{last.isoformat()}"
    csv_name = f"{definition.title.ja}_{period}.csv"
    zip_name = f"{definition.title.ja}_{period}_添付ファイル.zip"
    csv_key = f"exports/{export_id}/applications.csv"
    zip_key = f"exports/{export_id}/attachments.zip"
    _put(csv_key, render_csv(definition, rows), "text/csv; charset=utf-8")
    attachment_count = _put_attachments_zip(zip_key, uploads)

    _table().update_item(
        Key=_key(export_id),
        UpdateExpression="SET #state = :ready, csv_key = :csv, zip_key = :zip, csv_name = :csv_name, "
        "zip_name = :zip_name, application_count = :applications, attachment_count = :attachments",
        ConditionExpression="#state = :pending",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={
            ":ready": "ready",
            ":pending": "pending",
            ":csv": csv_key,
            ":zip": zip_key,
            ":csv_name": csv_name,
            ":zip_name": zip_name,
            ":applications": len(rows),
            ":attachments": attachment_count,
        },
    )
    logger.info(
        "export ready",
        extra={"export_id": export_id, "applications": len(rows), "attachments": attachment_count},
    )
    return {"state": "ready", "applications": len(rows), "attachments": attachment_count}


def _applications_in_period(procedure_id: str, first: date, last: date) -> Any:
    """Yield the procedure's applications submitted in the period (GSI1, then GetItem each)."""
    from boto3.dynamodb.conditions import Key

    start = datetime.combine(first, time.min, TOKYO).astimezone(UTC).isoformat()
    end = datetime.combine(last + timedelta(days=1), time.min, TOKYO).astimezone(UTC).isoformat()
    arguments: dict[str, Any] = {
        "IndexName": "GSI1",
        "KeyConditionExpression": Key("GSI1PK").eq(f"PROCEDURE#{procedure_id}")
        & Key("GSI1SK").between(start, end),
    }
    while True:
        response = _table().query(**arguments)
        for entry in response.get("Items", []):
            reference_number = entry["GSI1SK"].rsplit("#", 1)[1]
            yield repository.get_application(reference_number)
        if "LastEvaluatedKey" not in response:
            return
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _csv_row(definition: ProcedureDefinition, record: Any, answers: dict[str, Any]) -> list[str]:
    from madoguchi.attachments import repository as uploads

    row = [
        record.reference_number,
        status_label(record.status)["ja"],
        record.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
        record.updated_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
    ]
    for field in definition.fields:
        value = answers.get(field.id)
        if field.type == "file":
            names = []
            for upload_id in value or []:
                upload = uploads.get_upload(upload_id)
                names.append(upload.download_name or upload.file_name if upload else upload_id)
            row.append("、".join(names))
        else:
            row.append(display_answer(field, value))
    return row


def render_csv(definition: ProcedureDefinition, rows: list[list[str]]) -> bytes:
    """Return the CSV bytes: UTF-8 with BOM, CRLF line ends, every cell escaped.

    UTF-8 keeps 𠮷 and 髙, which CP932 cannot encode; the BOM makes Excel read it as UTF-8.
    """
    header = ["受付番号", "状態", "申請日時", "更新日時", *[field.label.ja for field in definition.fields]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _put(key: str, body: bytes | Any, content_type: str) -> None:
    settings = get_settings()
    aws.client("s3").put_object(
        Bucket=settings.answers_bucket,
        Key=key,
        Body=body,
        ContentType=content_type,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=settings.answers_kms_key_id,
    )


def _put_attachments_zip(key: str, uploads: list[tuple[str, str, str]]) -> int:
    """Write ``<reference>/<field label>/<file name>`` entries of accepted files; return the count.

    The zip is spooled to a temporary file (Lambda's /tmp), so an export is limited by
    the function's ephemeral storage, 512 MB by default.
    """
    from madoguchi.attachments import repository as attachment_records
    from madoguchi.attachments.files import clean_file_name
    from madoguchi.attachments.models import UploadState

    s3 = aws.client("s3")
    bucket = get_settings().uploads_bucket
    count = 0
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            used: set[str] = set()
            for reference_number, field_label, upload_id in uploads:
                record = attachment_records.get_upload(upload_id)
                if record is None or record.state is not UploadState.ACCEPTED or not record.accepted_key:
                    continue
                try:
                    data = s3.get_object(Bucket=bucket, Key=record.accepted_key)["Body"].read()
                except ClientError as exc:
                    logger.warning("attachment missing", extra={"upload_id": upload_id, "error": str(exc)})
                    continue
                name = clean_file_name(record.download_name or record.file_name)
                path = f"{reference_number}/{clean_file_name(field_label)}/{name}"
                if path in used:
                    path = f"{reference_number}/{clean_file_name(field_label)}/{upload_id}_{name}"
                used.add(path)
                # zipfile sets the UTF-8 name flag for non-ASCII names, so Japanese names survive.
                archive.writestr(path, data)
                count += 1
        spool.seek(0)
        _put(key, spool, "application/zip")
    return count
