"""DynamoDB access for payments, in the applications table.

| item                 | PK                             | SK        |
|----------------------|--------------------------------|-----------|
| payment              | ``APPLICATION#<reference>``     | ``PAYMENT`` |
| checkout session     | ``CHECKOUT_SESSION#<session>``  | ``META``    |
| payment intent       | ``PAYMENT_INTENT#<intent>``     | ``META``    |
| processed event      | ``STRIPE_EVENT#<event id>``     | ``META``    |

The session and intent items map Stripe ids back to a reference number without a
Scan. Every state change is an ``UpdateItem`` conditioned on the state rank and
the Stripe event's ``created``, so a late or repeated event cannot move a
payment backwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.payments.models import STATE_RANK, PaymentRecord, PaymentState
from madoguchi.settings import get_settings

# Stripe retries a webhook for up to three days; event ids are kept well beyond that.
EVENT_RETENTION = timedelta(days=30)


class PaymentNotFound(LookupError):
    """The application has no payment record."""


class StaleUpdate(Exception):
    """The payment already has a state of higher rank or from a later event."""


class AlreadyClaimed(Exception):
    """Another request already claimed this one-time action (resume, refund)."""


def _table() -> Any:
    return aws.table(get_settings().table_name)


def _payment_key(reference_number: str) -> dict[str, str]:
    return {"PK": f"APPLICATION#{reference_number}", "SK": "PAYMENT"}


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def save_new_payment(record: PaymentRecord) -> None:
    """Insert the payment and its session lookup item; an existing payment is replaced only
    while it is still unpaid (a new session after the old one expired)."""
    item = {**_payment_key(record.reference_number), **record.model_dump(mode="json", exclude_none=True)}
    _table().put_item(
        Item=item,
        ConditionExpression="attribute_not_exists(PK) OR state_rank < :paid_rank",
        ExpressionAttributeValues={":paid_rank": STATE_RANK[PaymentState.PAID]},
    )
    _table().put_item(
        Item={
            "PK": f"CHECKOUT_SESSION#{record.session_id}",
            "SK": "META",
            "reference_number": record.reference_number,
            "expires_at_epoch": int((record.created_at + timedelta(days=400)).timestamp()),
        }
    )


def get_payment(reference_number: str) -> PaymentRecord | None:
    response = _table().get_item(Key=_payment_key(reference_number), ConsistentRead=True)
    item = response.get("Item")
    return PaymentRecord.model_validate(item) if item else None


def reference_for_session(session_id: str) -> str | None:
    response = _table().get_item(Key={"PK": f"CHECKOUT_SESSION#{session_id}", "SK": "META"})
    item = response.get("Item")
    return item["reference_number"] if item else None


def reference_for_payment_intent(payment_intent_id: str) -> str | None:
    response = _table().get_item(Key={"PK": f"PAYMENT_INTENT#{payment_intent_id}", "SK": "META"})
    item = response.get("Item")
    return item["reference_number"] if item else None


def save_payment_intent(payment_intent_id: str, reference_number: str) -> None:
    _table().put_item(
        Item={"PK": f"PAYMENT_INTENT#{payment_intent_id}", "SK": "META", "reference_number": reference_number}
    )


def update_task_token(reference_number: str, session_id: str, task_token: str, now: datetime) -> None:
    """Store the token of a retried workflow task on the same session."""
    _table().update_item(
        Key=_payment_key(reference_number),
        UpdateExpression="SET task_token = :token, updated_at = :now",
        ConditionExpression="session_id = :session",
        ExpressionAttributeValues={":token": task_token, ":now": now.isoformat(), ":session": session_id},
    )


def advance_state(
    reference_number: str,
    session_id: str,
    state: PaymentState,
    event_created: int,
    now: datetime,
    **updates: Any,
) -> PaymentRecord:
    """Move the payment to ``state`` unless it already holds a higher or later state.

    Raises:
        StaleUpdate: the stored state outranks ``state``, or the same rank came from an
            event created at or after ``event_created``; the payment is left unchanged.
        PaymentNotFound: no payment of this application has this session.
    """
    names = {"#state": "state"}
    values: dict[str, Any] = {
        ":state": state.value,
        ":rank": STATE_RANK[state],
        ":created": event_created,
        ":now": now.isoformat(),
        ":session": session_id,
    }
    assignments = ["#state = :state", "state_rank = :rank", "state_created = :created", "updated_at = :now"]
    for index, (name, value) in enumerate(updates.items()):
        names[f"#u{index}"] = name
        values[f":u{index}"] = value
        assignments.append(f"#u{index} = :u{index}")
    try:
        response = _table().update_item(
            Key=_payment_key(reference_number),
            UpdateExpression="SET " + ", ".join(assignments),
            ConditionExpression="session_id = :session AND (state_rank < :rank "
            "OR (state_rank = :rank AND state_created < :created))",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if not _is_condition_failure(exc):
            raise
        if get_payment(reference_number) is None:
            raise PaymentNotFound(reference_number) from exc
        raise StaleUpdate(f"{reference_number}: {state} is not newer than the stored state") from exc
    return PaymentRecord.model_validate(response["Attributes"])


def claim_once(reference_number: str, attribute: str, required_state: PaymentState, now: datetime) -> None:
    """Set ``attribute`` to ``now`` if it is unset and the payment is in ``required_state``.

    Raises:
        AlreadyClaimed: the attribute is set or the state differs.
    """
    try:
        _table().update_item(
            Key=_payment_key(reference_number),
            UpdateExpression="SET #claim = :now",
            ConditionExpression="attribute_not_exists(#claim) AND #state = :state",
            ExpressionAttributeNames={"#claim": attribute, "#state": "state"},
            ExpressionAttributeValues={":now": now.isoformat(), ":state": required_state.value},
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise AlreadyClaimed(f"{reference_number}: {attribute}") from exc
        raise


def release_claim(reference_number: str, attribute: str) -> None:
    """Undo ``claim_once`` after the claimed action failed, so that a retry can claim again."""
    _table().update_item(
        Key=_payment_key(reference_number),
        UpdateExpression="REMOVE #claim",
        ExpressionAttributeNames={"#claim": attribute},
    )


def set_fields(reference_number: str, now: datetime, **updates: Any) -> None:
    names = {}
    values: dict[str, Any] = {":now": now.isoformat()}
    assignments = ["updated_at = :now"]
    for index, (name, value) in enumerate(updates.items()):
        names[f"#u{index}"] = name
        values[f":u{index}"] = value
        assignments.append(f"#u{index} = :u{index}")
    _table().update_item(
        Key=_payment_key(reference_number),
        UpdateExpression="SET " + ", ".join(assignments),
        ExpressionAttributeValues=values,
        **({"ExpressionAttributeNames": names} if names else {}),
    )


def record_event_once(event_id: str, event_type: str, now: datetime) -> bool:
    """Store a Stripe event id; return False when it was already stored (a duplicate)."""
    try:
        _table().put_item(
            Item={
                "PK": f"STRIPE_EVENT#{event_id}",
                "SK": "META",
                "event_type": event_type,
                "received_at": now.isoformat(),
                "expires_at_epoch": int((now + EVENT_RETENTION).timestamp()),
            },
            ConditionExpression="attribute_not_exists(PK)",
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            return False
        raise
    return True


def forget_event(event_id: str) -> None:
    """Delete a stored event id after its processing failed, so Stripe's retry is processed."""
    _table().delete_item(Key={"PK": f"STRIPE_EVENT#{event_id}", "SK": "META"})
