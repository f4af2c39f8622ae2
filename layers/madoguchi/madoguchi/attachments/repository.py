"""DynamoDB access for upload records (same single table as applications).

| item   | PK                   | SK       |
|--------|----------------------|----------|
| upload | ``UPLOAD#<upload id>`` | ``META`` |

``expires_at_epoch`` (the table's TTL attribute) removes records of uploads that
were never attached to an application; attaching removes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.attachments.models import RejectionReason, UploadRecord, UploadState
from madoguchi.settings import get_settings

# Records of unattached uploads outlive the objects (deleted by the bucket's
# lifecycle rules after at most 7 days) by one day.
UNATTACHED_RECORD_DAYS = 8


class UploadNotPending(Exception):
    """The upload was already checked (a duplicate or late event)."""


class UploadNotAttachable(Exception):
    """The upload is not accepted, or already belongs to another application."""


def _table() -> Any:
    return aws.table(get_settings().table_name)


def _upload_key(upload_id: str) -> dict[str, str]:
    return {"PK": f"UPLOAD#{upload_id}", "SK": "META"}


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def save_new_upload(record: UploadRecord) -> None:
    item = {
        **_upload_key(record.upload_id),
        **record.model_dump(mode="json", exclude_none=True),
        "expires_at_epoch": int(record.created_at.timestamp()) + UNATTACHED_RECORD_DAYS * 86400,
    }
    _table().put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")


def get_upload(upload_id: str) -> UploadRecord | None:
    response = _table().get_item(Key=_upload_key(upload_id), ConsistentRead=True)
    item = response.get("Item")
    return UploadRecord.model_validate(item) if item else None


def mark_accepted(
    upload_id: str, accepted_key: str, content_type: str, size: int, download_name: str, now: datetime
) -> None:
    """Move a pending upload to accepted.

    Raises:
        UploadNotPending: the upload was already accepted or rejected.
    """
    _finish_check(
        upload_id,
        UploadState.ACCEPTED,
        now,
        {
            "accepted_key": accepted_key,
            "accepted_content_type": content_type,
            "accepted_size": size,
            "download_name": download_name,
        },
    )


def mark_rejected(upload_id: str, reason: RejectionReason, now: datetime) -> None:
    """Move a pending upload to rejected.

    Raises:
        UploadNotPending: the upload was already accepted or rejected.
    """
    _finish_check(upload_id, UploadState.REJECTED, now, {"reason": reason.value})


def _finish_check(upload_id: str, state: UploadState, now: datetime, updates: dict[str, Any]) -> None:
    names = {"#state": "state"}
    values: dict[str, Any] = {
        ":target": state.value,
        ":pending": UploadState.PENDING.value,
        ":now": now.isoformat(),
    }
    assignments = ["#state = :target", "checked_at = :now"]
    for index, (name, value) in enumerate(updates.items()):
        names[f"#u{index}"] = name
        values[f":u{index}"] = value
        assignments.append(f"#u{index} = :u{index}")
    try:
        _table().update_item(
            Key=_upload_key(upload_id),
            UpdateExpression="SET " + ", ".join(assignments),
            ConditionExpression="#state = :pending",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise UploadNotPending(upload_id) from exc
        raise


def attach_upload(upload_id: str, reference_number: str) -> None:
    """Bind an accepted upload to an application; repeating it for the same application is a no-op.

    Raises:
        UploadNotAttachable: not accepted, or attached to another application.
    """
    try:
        _table().update_item(
            Key=_upload_key(upload_id),
            UpdateExpression="SET attached_to = :reference REMOVE expires_at_epoch",
            ConditionExpression="#state = :accepted AND "
            "(attribute_not_exists(attached_to) OR attached_to = :reference)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":accepted": UploadState.ACCEPTED.value,
                ":reference": reference_number,
            },
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise UploadNotAttachable(upload_id) from exc
        raise
