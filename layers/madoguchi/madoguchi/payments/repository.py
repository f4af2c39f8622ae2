"""DynamoDB access for payments, in the applications table.

| item                 | PK                             | SK        |
|----------------------|--------------------------------|-----------|
| payment              | ``APPLICATION#<reference>``     | ``PAYMENT`` (answers version 1) or ``PAYMENT#v<n>`` |
| checkout session     | ``CHECKOUT_SESSION#<session>``  | ``META``    |
| payment intent       | ``PAYMENT_INTENT#<intent>``     | ``META``    |
| processed event      | ``STRIPE_EVENT#<event id>``     | ``META``    |

An application has one payment per workflow run that asked for money: the fee in
the first run, and the difference after a correction that raised the fee
(``PAYMENT#v<n>`` for answers version n). The session and intent items map Stripe
ids back to the reference number and answers version without a Scan; items
written before payments had versions carry no version and mean version 1. Every
state change is an ``UpdateItem`` conditioned on the state rank and the Stripe
event's ``created``, so a late or repeated event cannot move a payment backwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key
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


class RefundConflict(Exception):
    """The payment's refunded amount changed since it was read; read it again and retry."""


def _table() -> Any:
    return aws.table(get_settings().table_name)


def _payment_key(reference_number: str, answers_version: int = 1) -> dict[str, str]:
    sort_key = "PAYMENT" if answers_version <= 1 else f"PAYMENT#v{answers_version}"
    return {"PK": f"APPLICATION#{reference_number}", "SK": sort_key}


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def save_new_payment(record: PaymentRecord) -> None:
    """Insert the payment and its session lookup item; an existing payment is replaced only
    while it is still unpaid (a new session after the old one expired)."""
    item = {
        **_payment_key(record.reference_number, record.answers_version),
        **record.model_dump(mode="json", exclude_none=True),
    }
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
            "answers_version": record.answers_version,
            "expires_at_epoch": int((record.created_at + timedelta(days=400)).timestamp()),
        }
    )


def get_payment(reference_number: str, answers_version: int = 1) -> PaymentRecord | None:
    """Return the payment that the workflow run of ``answers_version`` opened, if any."""
    response = _table().get_item(Key=_payment_key(reference_number, answers_version), ConsistentRead=True)
    item = response.get("Item")
    return PaymentRecord.model_validate(item) if item else None


def list_payments(reference_number: str) -> list[PaymentRecord]:
    """Return every payment of an application, oldest answers version first."""
    response = _table().query(
        KeyConditionExpression=Key("PK").eq(f"APPLICATION#{reference_number}") & Key("SK").begins_with("PAYMENT"),
        ConsistentRead=True,
    )
    records = [PaymentRecord.model_validate(item) for item in response["Items"]]
    return sorted(records, key=lambda record: record.answers_version)


def payment_for_session(session_id: str) -> tuple[str, int] | None:
    """Return (reference number, answers version) of the payment that created a checkout session."""
    response = _table().get_item(Key={"PK": f"CHECKOUT_SESSION#{session_id}", "SK": "META"})
    item = response.get("Item")
    return (item["reference_number"], int(item.get("answers_version", 1))) if item else None


def reference_for_session(session_id: str) -> str | None:
    located = payment_for_session(session_id)
    return located[0] if located else None


def payment_for_intent(payment_intent_id: str) -> tuple[str, int] | None:
    """Return (reference number, answers version) of the payment a payment intent paid."""
    response = _table().get_item(Key={"PK": f"PAYMENT_INTENT#{payment_intent_id}", "SK": "META"})
    item = response.get("Item")
    return (item["reference_number"], int(item.get("answers_version", 1))) if item else None


def save_payment_intent(payment_intent_id: str, reference_number: str, answers_version: int = 1) -> None:
    _table().put_item(
        Item={
            "PK": f"PAYMENT_INTENT#{payment_intent_id}",
            "SK": "META",
            "reference_number": reference_number,
            "answers_version": answers_version,
        }
    )


def update_task_token(
    reference_number: str, session_id: str, task_token: str, now: datetime, answers_version: int = 1
) -> None:
    """Store the token of a retried workflow task on the same session."""
    _table().update_item(
        Key=_payment_key(reference_number, answers_version),
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
    answers_version: int = 1,
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
            Key=_payment_key(reference_number, answers_version),
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
        if get_payment(reference_number, answers_version) is None:
            raise PaymentNotFound(reference_number) from exc
        raise StaleUpdate(f"{reference_number}: {state} is not newer than the stored state") from exc
    return PaymentRecord.model_validate(response["Attributes"])


def claim_once(
    reference_number: str, attribute: str, required_state: PaymentState, now: datetime, answers_version: int = 1
) -> None:
    """Set ``attribute`` to ``now`` if it is unset and the payment is in ``required_state``.

    Raises:
        AlreadyClaimed: the attribute is set or the state differs.
    """
    try:
        _table().update_item(
            Key=_payment_key(reference_number, answers_version),
            UpdateExpression="SET #claim = :now",
            ConditionExpression="attribute_not_exists(#claim) AND #state = :state",
            ExpressionAttributeNames={"#claim": attribute, "#state": "state"},
            ExpressionAttributeValues={":now": now.isoformat(), ":state": required_state.value},
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            raise AlreadyClaimed(f"{reference_number}: {attribute}") from exc
        raise


def release_claim(reference_number: str, attribute: str, answers_version: int = 1) -> None:
    """Undo ``claim_once`` after the claimed action failed, so that a retry can claim again."""
    _table().update_item(
        Key=_payment_key(reference_number, answers_version),
        UpdateExpression="REMOVE #claim",
        ExpressionAttributeNames={"#claim": attribute},
    )


def claim_refund(payment: PaymentRecord, attribute: str, amount: int, now: datetime) -> None:
    """Claim a refund of ``amount`` yen once: set ``attribute`` and add ``amount`` to ``refunded_amount``.

    The write is conditioned on the ``refunded_amount`` read into ``payment``, so two
    refunds computed from the same reading cannot both claim the same money.

    Raises:
        AlreadyClaimed: ``attribute`` is set or the payment is no longer paid.
        RefundConflict: ``refunded_amount`` changed since ``payment`` was read.
    """
    condition = "attribute_not_exists(#claim) AND #state = :paid AND "
    if payment.refunded_amount == 0:
        condition += "(attribute_not_exists(refunded_amount) OR refunded_amount = :before)"
    else:
        condition += "refunded_amount = :before"
    try:
        _table().update_item(
            Key=_payment_key(payment.reference_number, payment.answers_version),
            UpdateExpression="SET #claim = :now, refunded_amount = :after, updated_at = :now",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#claim": attribute, "#state": "state"},
            ExpressionAttributeValues={
                ":now": now.isoformat(),
                ":paid": PaymentState.PAID.value,
                ":before": payment.refunded_amount,
                ":after": payment.refunded_amount + amount,
            },
        )
    except ClientError as exc:
        if not _is_condition_failure(exc):
            raise
        current = _raw_payment(payment.reference_number, payment.answers_version)
        if current.get("state") != PaymentState.PAID.value or attribute in current:
            raise AlreadyClaimed(f"{payment.reference_number}: {attribute}") from exc
        raise RefundConflict(payment.reference_number) from exc


def release_refund(payment: PaymentRecord, attribute: str, amount: int) -> None:
    """Undo ``claim_refund`` after Stripe rejected the refund, so that a retry can claim it again."""
    _table().update_item(
        Key=_payment_key(payment.reference_number, payment.answers_version),
        UpdateExpression="REMOVE #claim SET refunded_amount = refunded_amount - :amount",
        ConditionExpression="attribute_exists(#claim)",
        ExpressionAttributeNames={"#claim": attribute},
        ExpressionAttributeValues={":amount": amount},
    )


def record_refunded_amount(reference_number: str, answers_version: int, amount: int, now: datetime) -> bool:
    """Raise ``refunded_amount`` to the charge's ``amount_refunded`` from Stripe; never lowers it.

    Returns False when the stored amount is already as high.
    """
    try:
        _table().update_item(
            Key=_payment_key(reference_number, answers_version),
            UpdateExpression="SET refunded_amount = :amount, updated_at = :now",
            ConditionExpression="attribute_exists(PK) AND "
            "(attribute_not_exists(refunded_amount) OR refunded_amount < :amount)",
            ExpressionAttributeValues={":amount": amount, ":now": now.isoformat()},
        )
    except ClientError as exc:
        if _is_condition_failure(exc):
            return False
        raise
    return True


def _raw_payment(reference_number: str, answers_version: int) -> dict[str, Any]:
    response = _table().get_item(Key=_payment_key(reference_number, answers_version), ConsistentRead=True)
    return response.get("Item") or {}


def set_fields(reference_number: str, now: datetime, answers_version: int = 1, **updates: Any) -> None:
    names = {}
    values: dict[str, Any] = {":now": now.isoformat()}
    assignments = ["updated_at = :now"]
    for index, (name, value) in enumerate(updates.items()):
        names[f"#u{index}"] = name
        values[f":u{index}"] = value
        assignments.append(f"#u{index} = :u{index}")
    _table().update_item(
        Key=_payment_key(reference_number, answers_version),
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
