"""Step Functions task: e-mail the applicant the receipt or the decision."""

from aws_lambda_powertools import Logger
from madoguchi.applications.notify import notify_applicant

logger = Logger(service="notify-applicant")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    logger.append_keys(reference_number=event["reference_number"])
    sent = notify_applicant(event["reference_number"], event["kind"])
    if not sent:
        logger.info("applicant has no e-mail address; nothing sent")
    return {"sent": sent}
