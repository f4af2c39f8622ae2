"""DynamoDB items of identity verification, in the application table.

| item                       | PK                     | SK              |
|----------------------------|------------------------|-----------------|
| authorization request      | ``IDENTITY#<session>`` | ``AUTHORIZATION`` |
| verified session (prefill) | ``IDENTITY#<session>`` | ``VERIFIED``      |
| e-mail one-time code       | ``IDENTITY#<session>`` | ``EMAIL_CODE``    |
| workflow wait (e-mail link)| ``IDENTITY#<link id>`` | ``WAIT``          |

Session and link ids are 256-bit random values. ``expires_at_epoch`` is both the
table's TTL attribute and the expiry that every conditional read checks, because
TTL deletion can lag by days.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.settings import get_settings


class IdentityItemNotFound(LookupError):
    """The item does not exist, has expired or was already used."""


def _table() -> Any:
    return aws.table(get_settings().table_name)


def _key(item_id: str, kind: str) -> dict[str, str]:
    return {"PK": f"IDENTITY#{item_id}", "SK": kind}


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def put_item(item_id: str, kind: str, attributes: dict[str, Any], expires_at: datetime) -> None:
    """Insert a new item; ids are random, so an existing item is an error."""
    item = {**_key(item_id, kind), **attributes, "expires_at_epoch": int(expires_at.timestamp())}
    _table().put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")


def take_item(item_id: str, kind: str, now: datetime) -> dict[str, Any]:
    """Delete an unexpired item and return it, so that it can be used once only.

    Raises:
        IdentityItemNotFound: missing, expired or already taken.
    """
    try:
        response = _table().delete_item(
            Key=_key(item_id, kind),
            ConditionExpression="attribute_exists(PK) AND expires_at_epoch > :now",
            ExpressionAttributeValues={":now": int(now.timestamp())},
            ReturnValues="ALL_OLD",
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise IdentityItemNotFound(item_id[:6]) from exc
        raise
    return response["Attributes"]


def get_item(item_id: str, kind: str, now: datetime) -> dict[str, Any]:
    """Return an unexpired item.

    Raises:
        IdentityItemNotFound: missing or expired.
    """
    item = _table().get_item(Key=_key(item_id, kind), ConsistentRead=True).get("Item")
    if item is None or int(item["expires_at_epoch"]) <= int(now.timestamp()):
        raise IdentityItemNotFound(item_id[:6])
    return item


def claim_verified_session(session_id: str, reference_number: str, now: datetime) -> dict[str, Any]:
    """Bind a verified session to one application; a retry for the same application succeeds.

    Raises:
        IdentityItemNotFound: missing, expired or already used by another application.
    """
    try:
        response = _table().update_item(
            Key=_key(session_id, "VERIFIED"),
            UpdateExpression="SET used_by = :reference",
            ConditionExpression="attribute_exists(PK) AND expires_at_epoch > :now "
            "AND (attribute_not_exists(used_by) OR used_by = :reference)",
            ExpressionAttributeValues={":reference": reference_number, ":now": int(now.timestamp())},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise IdentityItemNotFound(session_id[:6]) from exc
        raise
    return response["Attributes"]


def count_code_attempt(session_id: str, max_attempts: int, now: datetime) -> dict[str, Any]:
    """Count one attempt at an e-mail code before it is compared, and return the item.

    Raises:
        IdentityItemNotFound: missing, expired, or no attempts left.
    """
    try:
        response = _table().update_item(
            Key=_key(session_id, "EMAIL_CODE"),
            UpdateExpression="SET attempts = attempts + :one",
            ConditionExpression="attribute_exists(PK) AND expires_at_epoch > :now AND attempts < :max",
            ExpressionAttributeValues={":one": 1, ":now": int(now.timestamp()), ":max": max_attempts},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise IdentityItemNotFound(session_id[:6]) from exc
        raise
    return response["Attributes"]
