"""Step Functions task: issue the notice (PDF) of an approved or rejected application."""

from aws_lambda_powertools import Logger
from madoguchi.notices.issuance import issue_notice

logger = Logger(service="issue-notice")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    logger.append_keys(reference_number=event["reference_number"])
    notice = issue_notice(event["reference_number"])
    return {"kind": notice.kind, "signed": notice.signed, "size": notice.size}
