"""DynamoDB items of approval steps: the live task token and the step's outcome.

One item per route step and answers version:
``PK = APPLICATION#<reference>``, ``SK = APPROVAL_STEP#v<version>#<index>``. The
eligibility review before payment uses ``eligibility`` in place of the index, which
is why the functions here take ``step_index: int | str``.

The workflow replaces the task token when a reminder or an escalation starts a new
wait (the old token times out), so the token lives here, once per step, and not in
the approval tasks whose links stay valid. ``approved_roles`` collects the roles of a
consultation (合議) that approved; ``outcome`` is set once, by the decision that
ends the step, through a conditional write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.settings import get_settings


class StepAlreadyDecided(Exception):
    """Another decision has already ended this step."""


def _table() -> Any:
    return aws.table(get_settings().table_name)


def step_key(reference_number: str, answers_version: int, step_index: int | str) -> dict[str, str]:
    return {
        "PK": f"APPLICATION#{reference_number}",
        "SK": f"APPROVAL_STEP#v{answers_version}#{step_index}",
    }


def save_step(
    reference_number: str,
    answers_version: int,
    step_index: int | str,
    task_token: str,
    roles: list[str],
    task_ids: list[str],
    now: datetime,
) -> None:
    """Store a new step; a retried request of the same step replaces its unfinished item."""
    _table().put_item(
        Item={
            **step_key(reference_number, answers_version, step_index),
            "task_token": task_token,
            "roles": roles,
            "task_ids": task_ids,
            "created_at": now.isoformat(),
        },
        ConditionExpression="attribute_not_exists(outcome)",
    )


def get_step(reference_number: str, answers_version: int, step_index: int | str) -> dict[str, Any] | None:
    response = _table().get_item(
        Key=step_key(reference_number, answers_version, step_index), ConsistentRead=True
    )
    return response.get("Item")


def replace_task_token(
    reference_number: str, answers_version: int, step_index: int | str, task_token: str, task_ids: list[str]
) -> dict[str, Any]:
    """Store the token of a new wait and add escalation tasks; return the whole item."""
    response = _table().update_item(
        Key=step_key(reference_number, answers_version, step_index),
        UpdateExpression="SET task_token = :token, task_ids = list_append(task_ids, :ids)",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues={":token": task_token, ":ids": task_ids},
        ReturnValues="ALL_NEW",
    )
    return response["Attributes"]


def add_approved_role(
    reference_number: str, answers_version: int, step_index: int | str, role: str
) -> set[str]:
    """Record that one role approved and return every role that has approved so far."""
    response = _table().update_item(
        Key=step_key(reference_number, answers_version, step_index),
        UpdateExpression="ADD approved_roles :role",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues={":role": {role}},
        ReturnValues="ALL_NEW",
    )
    return set(response["Attributes"].get("approved_roles", set()))


def claim_outcome(
    reference_number: str, answers_version: int, step_index: int | str, output: dict[str, Any]
) -> dict[str, Any]:
    """Set the step's outcome once and return the item (with the live task token).

    Raises:
        StepAlreadyDecided: another decision ended the step first.
    """
    try:
        response = _table().update_item(
            Key=step_key(reference_number, answers_version, step_index),
            UpdateExpression="SET outcome = :output",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(outcome)",
            ExpressionAttributeValues={":output": output},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise StepAlreadyDecided(f"{reference_number} step {step_index}") from exc
        raise
    return response["Attributes"]
