"""Step Functions task: move an application to a new status and record it in its history."""

from aws_lambda_powertools import Logger
from madoguchi.applications.lifecycle import record_status

logger = Logger(service="update-status")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    logger.append_keys(reference_number=event["reference_number"])
    record = record_status(
        event["reference_number"], event["status"], event["event"], event.get("decision")
    )
    logger.info("status recorded", extra={"status": record.status.value})
    if record.status.value == "rejected":
        # Refunds the fee only where the procedure's fee is refundable.
        from madoguchi.payments.refunds import refund_on_rejection

        refund_on_rejection(record.reference_number)
    return {"status": record.status.value}
