"""Scheduled task: settle checkout sessions paid at Stripe whose webhook never arrived."""

from aws_lambda_powertools import Logger
from madoguchi.payments.reconcile import reconcile_payments

logger = Logger(service="reconcile-payments")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    report = reconcile_payments()
    logger.info(
        "reconciliation finished",
        extra={"checked": report.checked, "repaired": len(report.repaired), "errors": report.errors},
    )
    return {"checked": report.checked, "repaired": report.repaired, "errors": report.errors}
