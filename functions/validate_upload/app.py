"""S3 object-created handler: check each file that arrives under quarantine/."""

from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from madoguchi.attachments.quarantine import check_uploaded_object

logger = Logger(service="validate-upload")


@logger.inject_lambda_context
@event_source(data_class=S3Event)
def handler(event: S3Event, context: object) -> dict:
    outcomes = {}
    for record in event.records:
        # S3 event keys are URL-encoded, with spaces as "+".
        key = unquote_plus(record.s3.get_object.key)
        outcome = check_uploaded_object(key)
        logger.info("upload checked", extra={"key": key, "outcome": outcome})
        outcomes[key] = outcome
    return {"outcomes": outcomes}
