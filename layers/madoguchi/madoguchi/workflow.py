"""Step Functions adapter: start the application workflow and resume waiting tasks."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.settings import get_settings


class TaskAlreadyClosed(Exception):
    """The workflow no longer waits for this task token (completed, timed out or stopped)."""


def start_application_workflow(reference_number: str, payload: dict[str, Any]) -> None:
    """Start the execution named after the application.

    Execution names are unique per state machine, so a retried start of the same
    application finds the first execution and does not create a second one.
    """
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=get_settings().state_machine_arn,
            name=reference_number,
            input=json.dumps(payload, ensure_ascii=False),
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise


def resume_task(task_token: str, output: dict[str, Any]) -> None:
    """Send a waiting task its result.

    Raises:
        TaskAlreadyClosed: the task timed out, was already completed or its
            execution stopped.
    """
    try:
        aws.client("stepfunctions").send_task_success(
            taskToken=task_token, output=json.dumps(output, ensure_ascii=False)
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
            raise TaskAlreadyClosed(exc.response["Error"]["Code"]) from exc
        raise
