"""Create uploads, check the uploads that answers refer to, and give staff download links.

The checks of a file that arrives in the bucket are in madoguchi.attachments.quarantine.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools import Logger

from madoguchi import aws
from madoguchi.attachments import repository
from madoguchi.attachments.files import attachment_disposition, clean_file_name
from madoguchi.attachments.models import (
    ACCEPTED_PREFIX,
    KIND_BY_CONTENT_TYPE,
    QUARANTINE_PREFIX,
    UploadRecord,
    UploadState,
)
from madoguchi.i18n import translate_all
from madoguchi.procedures import ProcedureDefinition, get_procedure
from madoguchi.procedures.errors import FieldError
from madoguchi.settings import get_settings

logger = Logger(child=True)

MEBIBYTE = 1024 * 1024
# The tag that the bucket's lifecycle rule uses to expire accepted files of
# applications that were never sent.
ATTACHED_TAG = "attached"


class UploadRequestInvalid(Exception):
    """The upload request does not fit the field; ``code`` names the message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class UploadNotFound(LookupError):
    """No upload has this id."""


class AttachmentNotAvailable(LookupError):
    """The approval task cannot open this attachment (unknown, closed or not its application)."""


@dataclass(frozen=True)
class UploadRequest:
    procedure_id: str
    field_id: str
    file_name: str
    content_type: str
    size: int


def uploads_bucket() -> str:
    bucket = get_settings().uploads_bucket
    if not bucket:
        raise RuntimeError("UPLOADS_BUCKET is not set; the template sets it for every function")
    return bucket


@cache
def _presigning_client() -> Any:
    """Return an S3 client that signs URLs with Signature Version 4.

    SigV4 makes botocore build regional URLs (``https://<bucket>.s3.<region>.amazonaws.com``),
    the origin that the template puts in UPLOADS_ORIGIN, and lets expiry be set per URL.
    """
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4"))


def max_size_bytes(field_max_mb: float | None) -> int:
    return int((field_max_mb or get_settings().upload_default_max_size_mb) * MEBIBYTE)


def create_upload(request: UploadRequest, now: datetime | None = None) -> dict[str, Any]:
    """Record a pending upload and return a presigned POST for one file.

    The object key is generated here, so the resident's file name never reaches S3
    except percent-encoded in the object's metadata.

    Raises:
        ProcedureNotFound: unknown procedure.
        UploadRequestInvalid: not a file field, type not accepted, empty or too large.
    """
    now = now or datetime.now(UTC)
    definition = get_procedure(request.procedure_id)
    field = next((f for f in definition.fields if f.id == request.field_id), None)
    if field is None or field.type != "file":
        raise UploadRequestInvalid("attachments.field_invalid")
    if not definition.is_open(now):
        raise UploadRequestInvalid("attachments.procedure_closed")
    content_type = request.content_type.strip().lower()
    kind = KIND_BY_CONTENT_TYPE.get(content_type)
    if kind is None or kind not in field.accept:
        raise UploadRequestInvalid("attachments.type_not_allowed", accept=_accept_list(field.accept))
    max_size = max_size_bytes(field.max_size_mb)
    if request.size < 1:
        raise UploadRequestInvalid("attachments.empty_file")
    if request.size > max_size:
        raise UploadRequestInvalid("attachments.too_large", limit=_megabytes(max_size))

    upload_id = secrets.token_urlsafe(16)
    key = f"{QUARANTINE_PREFIX}{upload_id}"
    file_name = clean_file_name(request.file_name)
    repository.save_new_upload(
        UploadRecord(
            upload_id=upload_id,
            procedure_id=definition.id,
            field_id=field.id,
            file_name=file_name,
            content_type=content_type,
            accept=list(field.accept),
            declared_size=request.size,
            max_size=max_size,
            state=UploadState.PENDING,
            quarantine_key=key,
            created_at=now,
        )
    )

    settings = get_settings()
    fields = {
        "Content-Type": content_type,
        "x-amz-meta-upload-id": upload_id,
        "x-amz-meta-original-name": quote(file_name, safe=""),
    }
    conditions: list[Any] = [
        ["content-length-range", 1, max_size],
        *({name: value} for name, value in fields.items()),
    ]
    post = _presigning_client().generate_presigned_post(
        Bucket=uploads_bucket(),
        Key=key,
        Fields=fields,
        Conditions=conditions,
        ExpiresIn=settings.upload_url_ttl_seconds,
    )
    return {
        "upload_id": upload_id,
        "state": UploadState.PENDING.value,
        "max_size": max_size,
        "expires_in": settings.upload_url_ttl_seconds,
        "upload": {"url": post["url"], "fields": post["fields"]},
    }


def upload_status(upload_id: str) -> dict[str, Any]:
    """Return the state of an upload and, when rejected, why and what to upload instead.

    Raises:
        UploadNotFound: no upload has this id.
    """
    record = repository.get_upload(upload_id)
    if record is None:
        raise UploadNotFound(upload_id)
    view: dict[str, Any] = {
        "upload_id": record.upload_id,
        "procedure_id": record.procedure_id,
        "field_id": record.field_id,
        "file_name": record.file_name,
        "state": record.state.value,
    }
    if record.state is UploadState.ACCEPTED:
        view["size"] = record.accepted_size
        view["content_type"] = record.accepted_content_type
    if record.state is UploadState.REJECTED and record.reason is not None:
        view["reason"] = record.reason.value
        view["message"] = rejection_message(record)
    return view


def rejection_message(record: UploadRecord) -> dict[str, str]:
    assert record.reason is not None
    return translate_all(
        f"attachments.rejected_{record.reason.value}",
        accept=_accept_list(record.accept),
        limit=_megabytes(record.max_size),
    )


def _accept_list(accept: list[str]) -> str:
    names = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG", "heic": "HEIC"}
    return ", ".join(names.get(kind, kind) for kind in accept)


def _megabytes(size: int) -> str:
    return f"{size / MEBIBYTE:g}"


# --- Answers that refer to uploads -----------------------------------------------------


def attachment_errors(
    definition: ProcedureDefinition, answers: dict[str, Any], attached_to: str | None = None
) -> list[FieldError]:
    """Return one error per file field whose uploads are not accepted files of that field.

    Uploads already attached to the application ``attached_to`` (a resubmission) pass.
    """
    errors = []
    for field in definition.fields:
        if field.type != "file" or not answers.get(field.id):
            continue
        for upload_id in answers[field.id]:
            code = _upload_problem(repository.get_upload(upload_id), definition.id, field.id, attached_to)
            if code is not None:
                errors.append(_attachment_error(field.id, code, upload_id))
                break
    return errors


def _upload_problem(
    record: UploadRecord | None, procedure_id: str, field_id: str, attached_to: str | None = None
) -> str | None:
    if record is None or record.procedure_id != procedure_id or record.field_id != field_id:
        return "attachments.upload_unknown"
    if record.state is UploadState.PENDING:
        return "attachments.upload_pending"
    if record.state is UploadState.REJECTED:
        return "attachments.upload_rejected"
    if record.attached_to is not None and record.attached_to != attached_to:
        return "attachments.upload_used"
    return None


def _attachment_error(field_id: str, code: str, upload_id: str) -> FieldError:
    record = repository.get_upload(upload_id) if code == "attachments.upload_rejected" else None
    messages = translate_all(code)
    if record is not None and record.reason is not None:
        reason = rejection_message(record)
        messages = {locale: f"{messages[locale]} {reason[locale]}" for locale in messages}
    return FieldError(field_id, code, messages)


def upload_ids_of(definition: ProcedureDefinition, answers: dict[str, Any]) -> list[tuple[str, str]]:
    """Return ``(field id, upload id)`` for every upload the answers refer to."""
    return [
        (field.id, upload_id)
        for field in definition.fields
        if field.type == "file"
        for upload_id in answers.get(field.id) or []
    ]


def attach_uploads(definition: ProcedureDefinition, answers: dict[str, Any], reference_number: str) -> None:
    """Bind every upload of the answers to the application and keep its file.

    Raises:
        AnswersInvalid: an upload was attached to another application meanwhile.
    """
    from madoguchi.procedures.errors import AnswersInvalid

    s3 = aws.client("s3")
    for field_id, upload_id in upload_ids_of(definition, answers):
        try:
            repository.attach_upload(upload_id, reference_number)
        except repository.UploadNotAttachable:
            raise AnswersInvalid([_attachment_error(field_id, "attachments.upload_used", upload_id)]) from None
        s3.put_object_tagging(
            Bucket=uploads_bucket(),
            Key=f"{ACCEPTED_PREFIX}{upload_id}",
            Tagging={"TagSet": [{"Key": ATTACHED_TAG, "Value": "true"}]},
        )


# --- Staff downloads -----------------------------------------------------------------


def attachment_links(task_id: str, upload_ids: list[str]) -> list[dict[str, Any]]:
    """Return name, size and download path of each upload, for the approval page."""
    links = []
    for upload_id in upload_ids:
        record = repository.get_upload(upload_id)
        if record is None or record.state is not UploadState.ACCEPTED:
            links.append({"name": upload_id, "size": None, "href": None})
            continue
        links.append(
            {
                "name": record.download_name or record.file_name,
                "size": record.accepted_size,
                "href": f"/approvals/{task_id}/attachments/{upload_id}",
            }
        )
    return links


def download_url(task_id: str, upload_id: str, now: datetime | None = None) -> str:
    """Return a short-lived presigned GET that downloads an attachment of a pending approval task.

    Raises:
        AttachmentNotAvailable: unknown or closed task, or the upload is not an
            accepted attachment of the task's application.
    """
    from madoguchi.applications.repository import get_approval_task

    now = now or datetime.now(UTC)
    task = get_approval_task(task_id)
    if task is None or task.state != "pending" or task.expires_at <= now:
        raise AttachmentNotAvailable(task_id)
    record = repository.get_upload(upload_id)
    if (
        record is None
        or record.state is not UploadState.ACCEPTED
        or record.attached_to != task.reference_number
        or record.accepted_key is None
    ):
        raise AttachmentNotAvailable(upload_id)
    return _presigning_client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": uploads_bucket(),
            "Key": record.accepted_key,
            "ResponseContentDisposition": attachment_disposition(record.download_name or record.file_name),
            "ResponseContentType": record.accepted_content_type or "application/octet-stream",
        },
        ExpiresIn=get_settings().download_url_ttl_seconds,
    )
