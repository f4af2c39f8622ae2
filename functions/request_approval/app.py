"""Step Functions tasks of the approval route: plan a step, request it, remind, escalate.

``action`` selects the task: ``plan`` (synchronous: the step's waits in seconds),
``request``, ``remind`` and ``escalate`` (waitForTaskToken: the workflow waits for
SendTaskSuccess from a decision; their return values are not used). ``stage`` is
``route`` (the default) or ``eligibility`` for the review before the payment stage,
which goes to the roles of route step ``step_index`` 0.
"""

from aws_lambda_powertools import Logger
from madoguchi.approvals.deadlines import escalate_step, remind_step
from madoguchi.approvals.service import plan_step, request_approval

logger = Logger(service="request-approval")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    reference_number = event["reference_number"]
    step_index = int(event["step_index"])
    action = event.get("action", "request")
    stage = event.get("stage", "route")
    logger.append_keys(reference_number=reference_number, step_index=step_index, action=action, stage=stage)
    if action == "plan":
        return plan_step(reference_number, step_index)
    if action == "remind":
        return remind_step(reference_number, step_index, event["task_token"], stage=stage)
    if action == "escalate":
        return escalate_step(reference_number, step_index, event["task_token"], stage=stage)
    if action != "request":
        raise ValueError(f"unknown action {action!r}")
    task_ids = request_approval(reference_number, step_index, event["task_token"], stage=stage)
    return {"task_created": True, "tasks": len(task_ids)}
