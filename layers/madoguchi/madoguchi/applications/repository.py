"""DynamoDB access for applications and approval tasks.

Single table, keys ``PK``/``SK``:

| item            | PK                         | SK     |
|-----------------|----------------------------|--------|
| application     | ``APPLICATION#<reference>`` | ``META`` |
| approval task   | ``APPROVAL#<task id>``      | ``META`` |
| idempotency key | ``idempotency#<function>``  | key hash (Powertools) |

GSI1 (``GSI1PK = PROCEDURE#<id>``, ``GSI1SK = <created_at>#<reference>``) lists a
procedure's applications in time order for staff. GSI2 (``GSI2PK = APPROVER#<role>``,
``GSI2SK = <created_at>#<task id>``) lists a role's pending approval tasks, oldest
first; only pending tasks carry these keys. ``expires_at_epoch`` is the TTL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from madoguchi import aws
from madoguchi.applications.models import ApplicationRecord, ApprovalTask, HistoryEntry
from madoguchi.applications.status import ApplicationStatus, sources_of
from madoguchi.audit.anchors import anchor_entries
from madoguchi.settings import get_settings


class ApplicationNotFound(LookupError):
    """No application has this reference number."""


class InvalidTransition(Exception):
    """The application's current status does not allow the requested transition."""


class ApprovalTaskClosed(Exception):
    """The approval task was already decided, has expired, or the CSRF token is wrong."""


def _table() -> Any:
    return aws.table(get_settings().table_name)


def _application_key(reference_number: str) -> dict[str, str]:
    return {"PK": f"APPLICATION#{reference_number}", "SK": "META"}


def _approval_key(task_id: str) -> dict[str, str]:
    return {"PK": f"APPROVAL#{task_id}", "SK": "META"}


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def save_new_application(record: ApplicationRecord) -> None:
    """Insert an application and anchor its first history entries.

    Reference numbers are random, so a collision is an error.
    """
    item = {
        **_application_key(record.reference_number),
        **record.model_dump(mode="json", exclude_none=True),
        "GSI1PK": f"PROCEDURE#{record.procedure_id}",
        "GSI1SK": f"{record.created_at.isoformat()}#{record.reference_number}",
    }
    _table().put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")
    anchor_entries(ApplicationRecord.model_validate(item), first_index=0)


def get_application(reference_number: str) -> ApplicationRecord:
    """Return an application.

    Raises:
        ApplicationNotFound: no application has this reference number.
    """
    response = _table().get_item(Key=_application_key(reference_number), ConsistentRead=True)
    item = response.get("Item")
    if item is None:
        raise ApplicationNotFound(reference_number)
    return ApplicationRecord.model_validate(item)


def transition_application(
    reference_number: str, target: ApplicationStatus, entry: HistoryEntry, **updates: Any
) -> ApplicationRecord:
    """Move an application to ``target`` and append ``entry`` to its history, atomically.

    The entry's audit anchor is written afterwards, and a failed anchor write is
    logged, not raised.

    Raises:
        InvalidTransition: the current status does not allow ``target`` (or the
            application does not exist).
    """
    sources = sources_of(target)
    names = {"#status": "status", "#history": "history", "#updated": "updated_at"}
    values: dict[str, Any] = {
        ":target": target.value,
        ":entry": [entry.model_dump(mode="json", exclude_none=True)],
        ":now": entry.at.isoformat(),
    }
    placeholders = []
    for index, source in enumerate(sources):
        values[f":from{index}"] = source.value
        placeholders.append(f":from{index}")
    assignments = ["#status = :target", "#history = list_append(#history, :entry)", "#updated = :now"]
    for index, (name, value) in enumerate(updates.items()):
        names[f"#u{index}"] = name
        values[f":u{index}"] = value
        assignments.append(f"#u{index} = :u{index}")
    condition = f"#status IN ({', '.join(placeholders)})" if placeholders else "attribute_not_exists(PK)"

    try:
        response = _table().update_item(
            Key=_application_key(reference_number),
            UpdateExpression="SET " + ", ".join(assignments),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise InvalidTransition(f"{reference_number} cannot move to {target}") from exc
        raise
    record = ApplicationRecord.model_validate(response["Attributes"])
    # ALL_NEW is the item right after this update, so its last entry is ``entry``.
    anchor_entries(record, first_index=len(record.history) - 1)
    return record


def append_history(
    reference_number: str, entry: HistoryEntry, expected_status: ApplicationStatus, **updates: Any
) -> None:
    """Append a history entry without changing the status, then write its audit anchor.

    Raises:
        InvalidTransition: the application is no longer in ``expected_status``.
    """
    names = {"#status": "status", "#history": "history", "#updated": "updated_at"}
    values: dict[str, Any] = {
        ":expected": expected_status.value,
        ":entry": [entry.model_dump(mode="json", exclude_none=True)],
        ":now": entry.at.isoformat(),
    }
    assignments = ["#history = list_append(#history, :entry)", "#updated = :now"]
    for index, (name, value) in enumerate(updates.items()):
        names[f"#u{index}"] = name
        values[f":u{index}"] = value
        assignments.append(f"#u{index} = :u{index}")
    try:
        response = _table().update_item(
            Key=_application_key(reference_number),
            UpdateExpression="SET " + ", ".join(assignments),
            ConditionExpression="#status = :expected",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise InvalidTransition(f"{reference_number} is not {expected_status}") from exc
        raise
    record = ApplicationRecord.model_validate(response["Attributes"])
    anchor_entries(record, first_index=len(record.history) - 1)


def save_approval_task(task: ApprovalTask) -> None:
    item = {
        **_approval_key(task.task_id),
        **task.model_dump(mode="json", exclude_none=True),
        # DynamoDB TTL removes the item a week after the link expires.
        "expires_at_epoch": int(task.expires_at.timestamp()) + 7 * 86400,
        # Conditions compare this number, not ISO strings whose formats may differ.
        "link_expires_epoch": int(task.expires_at.timestamp()),
    }
    if task.state == "pending":
        # GSI2 contains pending tasks only, because closing a task removes these keys.
        item["GSI2PK"] = f"APPROVER#{task.approver_role}"
        item["GSI2SK"] = f"{task.created_at.isoformat()}#{task.task_id}"
    _table().put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")


def get_approval_task(task_id: str) -> ApprovalTask | None:
    response = _table().get_item(Key=_approval_key(task_id), ConsistentRead=True)
    item = response.get("Item")
    return ApprovalTask.model_validate(item) if item else None


def close_approval_task(
    task_id: str, csrf_token: str, decision: str, comment: str, now: datetime
) -> ApprovalTask:
    """Record a decision once: only a pending, unexpired task with the right CSRF token closes.

    Raises:
        ApprovalTaskClosed: the task is decided, expired, unknown or the token is wrong.
    """
    try:
        response = _table().update_item(
            Key=_approval_key(task_id),
            UpdateExpression="SET #state = :decided, decision = :decision, #comment = :comment, "
            "decided_at = :now REMOVE GSI2PK, GSI2SK",
            ConditionExpression="#state = :pending AND link_expires_epoch > :now_epoch "
            "AND csrf_token = :csrf",
            ExpressionAttributeNames={"#state": "state", "#comment": "comment"},
            ExpressionAttributeValues={
                ":decided": "decided",
                ":pending": "pending",
                ":decision": decision,
                ":comment": comment,
                ":now": now.isoformat(),
                ":now_epoch": int(now.timestamp()),
                ":csrf": csrf_token,
            },
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise ApprovalTaskClosed(task_id) from exc
        raise
    return ApprovalTask.model_validate(response["Attributes"])


def close_open_approval_task(task_id: str, state: str, now: datetime) -> bool:
    """Close a still-pending task without a decision (``superseded`` or ``withdrawn``).

    Returns False when the task was no longer pending.
    """
    try:
        _table().update_item(
            Key=_approval_key(task_id),
            UpdateExpression="SET #state = :closed, closed_at = :now",
            ConditionExpression="#state = :pending",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":closed": state, ":pending": "pending", ":now": now.isoformat()},
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            return False
        raise
    return True


def extend_approval_link(task_id: str, expires_at: datetime) -> None:
    """Keep a pending task's link valid at least until ``expires_at``; never shortens it."""
    epoch = int(expires_at.timestamp())
    try:
        _table().update_item(
            Key=_approval_key(task_id),
            UpdateExpression="SET link_expires_epoch = :epoch, expires_at = :at, "
            "expires_at_epoch = :ttl",
            ConditionExpression="#state = :pending AND link_expires_epoch < :epoch",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":epoch": epoch,
                ":at": expires_at.isoformat(),
                ":ttl": epoch + 7 * 86400,
                ":pending": "pending",
            },
        )
    except ClientError as exc:
        if not _is_condition_failure(exc):
            raise


def list_pending_approval_tasks(role: str, limit: int = 100) -> list[dict[str, Any]]:
    """Return up to ``limit`` pending approval tasks of an approver role, oldest first (GSI2).

    Items carry the attributes GSI2 projects (task id, reference number, step, times,
    state), never the task token or the CSRF token. The index is eventually
    consistent, so a task decided a moment ago may still be listed; the approval page
    then reports it as closed.
    """
    from boto3.dynamodb.conditions import Attr, Key

    response = _table().query(
        IndexName="GSI2",
        KeyConditionExpression=Key("GSI2PK").eq(f"APPROVER#{role}"),
        FilterExpression=Attr("state").eq("pending"),
        ScanIndexForward=True,
        Limit=limit,
    )
    return list(response.get("Items", []))
