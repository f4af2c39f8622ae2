"""Step Functions adapter: start the application workflow and resume waiting tasks."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from madoguchi import aws
from madoguchi.settings import get_settings


class TaskAlreadyClosed(Exception):
    """The workflow no longer waits for this task token (completed, timed out or stopped)."""


def execution_name(reference_number: str, answers_version: int = 1) -> str:
    """Return the execution name of one answers version: ``<reference>``, then ``<reference>-v<n>``."""
    return reference_number if answers_version <= 1 else f"{reference_number}-v{answers_version}"


def start_application_workflow(
    reference_number: str, payload: dict[str, Any], answers_version: int = 1
) -> None:
    """Start the execution named after the application and its answers version.

    Execution names are unique per state machine, so a retried start of the same
    version finds the first execution and does not create a second one.
    """
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=get_settings().state_machine_arn,
            name=execution_name(reference_number, answers_version),
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


def stop_application_workflow(reference_number: str, answers_version: int, cause: str) -> bool:
    """Stop the running execution of an answers version; return False when none runs."""
    settings = get_settings()
    # arn:aws:states:<region>:<account>:stateMachine:<name> → …:execution:<name>:<execution>
    execution_arn = (
        settings.state_machine_arn.replace(":stateMachine:", ":execution:", 1)
        + ":" + execution_name(reference_number, answers_version)
    )
    try:
        aws.client("stepfunctions").stop_execution(
            executionArn=execution_arn, error="ApplicationWithdrawn", cause=cause
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("ExecutionDoesNotExist", "ExecutionNotRunning"):
            return False
        raise
    return True
