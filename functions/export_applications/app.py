"""Export task, invoked asynchronously by the staff API: writes the CSV and the
attachments zip of one export to S3."""

from aws_lambda_powertools import Logger
from madoguchi.staff.exports import build_export

logger = Logger(service="export-applications")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    logger.append_keys(export_id=event["export_id"])
    return build_export(event["export_id"])
