"""Step Functions task: verify again that every required file of an application is accepted."""

from aws_lambda_powertools import Logger
from madoguchi.attachments.review import verify_attachments

logger = Logger(service="check-attachments")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    reference_number = event["reference_number"]
    logger.append_keys(reference_number=reference_number)
    # Raises AttachmentsNotAccepted, which the workflow's Catch matches by class name.
    count = verify_attachments(reference_number)
    logger.info("attachments verified", extra={"accepted_files": count})
    return {"accepted_files": count}
