"""Step Functions tasks of the identity stage.

``check``: return whether the workflow must wait for the applicant's identity check.
``wait`` (waitForTaskToken): move the application to awaiting_identity and e-mail a
link; the identity function's callback sends the task token back.
"""

from aws_lambda_powertools import Logger

logger = Logger(service="identity-check")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    reference_number = event["reference_number"]
    logger.append_keys(reference_number=reference_number)
    if event.get("action") == "wait":
        from madoguchi.identity.waiting import request_identity

        request_identity(reference_number, event["task_token"])
        logger.info("identity requested from the applicant")
        # The workflow waits for SendTaskSuccess from the callback; this value is not used.
        return {"requested": True}

    from madoguchi.identity.waiting import check_identity

    result = check_identity(reference_number)
    logger.info("identity checked", extra={"outcome": result["outcome"]})
    return result
