"""Step Functions task (waitForTaskToken): create an approval task and e-mail its link."""

from aws_lambda_powertools import Logger

from madoguchi.approvals.service import request_approval

logger = Logger(service="request-approval")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    reference_number = event["reference_number"]
    logger.append_keys(reference_number=reference_number)
    request_approval(reference_number, int(event["step_index"]), event["task_token"])
    # The workflow waits for SendTaskSuccess from the decision; this return value is not used.
    return {"task_created": True}
