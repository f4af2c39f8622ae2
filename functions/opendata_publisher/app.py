"""Scheduled task: publish the open-data files from the inventory and the applications."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from madoguchi.inventory.service import publish_open_data

logger = Logger(service="opendata-publisher")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    """Publish every open-data file. A file that fails validation raises, and nothing is published."""
    result = publish_open_data()
    return {"published_at": result.published_at.isoformat(), "files": result.files}
