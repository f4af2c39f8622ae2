"""Check each file that arrives under ``quarantine/`` and accept or reject it.

Only ValidateUploadFunction imports this module, because the content checks need
Pillow, pillow-heif and filetype, which only that function's layers install.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.attachments import repository
from madoguchi.attachments.files import with_extension
from madoguchi.attachments.models import (
    ACCEPTED_PREFIX,
    KIND_BY_CONTENT_TYPE,
    QUARANTINE_PREFIX,
    RejectionReason,
    UploadRecord,
    UploadState,
)
from madoguchi.attachments.service import ATTACHED_TAG, uploads_bucket

logger = Logger(child=True)

# filetype reads at most this many bytes to recognise a file.
_MAGIC_BYTES = 262


def check_uploaded_object(key: str, now: datetime | None = None) -> str:
    """Check one object that arrived under ``quarantine/`` and accept or reject it.

    Safe to run twice for the same object: only a pending upload changes, through a
    conditional write, and a missing object means an earlier run finished. Returns
    the outcome (``accepted``, ``rejected``, ``duplicate`` or ``unknown``).
    """
    from madoguchi.attachments.inspection import FileRejected, check_file, detect_kind

    now = now or datetime.now(UTC)
    if not key.startswith(QUARANTINE_PREFIX):
        return "unknown"
    upload_id = key.removeprefix(QUARANTINE_PREFIX)
    s3 = aws.client("s3")
    bucket = uploads_bucket()
    record = repository.get_upload(upload_id)
    if record is None:
        # Nothing created this key through POST /api/uploads, so no application may use it.
        logger.warning("object without upload record deleted", extra={"upload_id": upload_id})
        s3.delete_object(Bucket=bucket, Key=key)
        return "unknown"
    if record.state is not UploadState.PENDING:
        return "duplicate"

    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return "duplicate"
        raise
    size = int(head["ContentLength"])
    # S3 enforces the presigned POST's content-length-range; it is checked again
    # here because a policy can be misconfigured and moto does not enforce it.
    if size == 0:
        return _reject(record, RejectionReason.EMPTY_FILE, now)
    if size > record.max_size:
        return _reject(record, RejectionReason.TOO_LARGE, now)

    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read(record.max_size + 1)
    kind = detect_kind(data[:_MAGIC_BYTES])
    if kind is None or kind not in record.accept:
        return _reject(record, RejectionReason.TYPE_NOT_ALLOWED, now)
    if kind != KIND_BY_CONTENT_TYPE.get(record.content_type):
        return _reject(record, RejectionReason.TYPE_MISMATCH, now)
    try:
        checked = check_file(data, kind)
    except FileRejected as exc:
        return _reject(record, exc.reason, now)

    accepted_key = f"{ACCEPTED_PREFIX}{upload_id}"
    download_name = with_extension(record.file_name, checked.extension)
    s3.put_object(
        Bucket=bucket,
        Key=accepted_key,
        Body=checked.body,
        ContentType=checked.content_type,
        Metadata={"upload-id": upload_id, "original-name": quote(record.file_name, safe="")},
        Tagging=f"{ATTACHED_TAG}=false",
    )
    try:
        repository.mark_accepted(
            upload_id, accepted_key, checked.content_type, len(checked.body), download_name, now
        )
    except repository.UploadNotPending:
        return "duplicate"
    s3.delete_object(Bucket=bucket, Key=key)
    logger.info("upload accepted", extra={"upload_id": upload_id, "kind": kind})
    return "accepted"


def _reject(record: UploadRecord, reason: RejectionReason, now: datetime) -> str:
    aws.client("s3").delete_object(Bucket=uploads_bucket(), Key=record.quarantine_key)
    try:
        repository.mark_rejected(record.upload_id, reason, now)
    except repository.UploadNotPending:
        return "duplicate"
    logger.info("upload rejected", extra={"upload_id": record.upload_id, "reason": reason.value})
    return "rejected"
