"""Step Functions tasks of the payment stage.

``action`` selects the step: ``plan`` (is a fee due, how long to wait),
``request`` (waitForTaskToken: create the checkout session and store the token),
``expire`` (after the timeout: expire the session and the application).
"""

from aws_lambda_powertools import Logger
from madoguchi.payments.checkout import expire_payment, plan_payment, request_payment

logger = Logger(service="payment-task")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    reference_number = event["reference_number"]
    logger.append_keys(reference_number=reference_number, action=event["action"])
    if event["action"] == "plan":
        return plan_payment(reference_number)
    if event["action"] == "request":
        # The workflow waits for SendTaskSuccess from the webhook; this return value is not used.
        return request_payment(reference_number, event["task_token"])
    if event["action"] == "expire":
        return expire_payment(reference_number)
    raise ValueError(f"unknown action {event['action']!r}; expected plan, request or expire")
