"""DynamoDB store of unanswered chat questions (already masked), one partition per month."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key

from madoguchi import aws
from madoguchi.chat.unanswered import UnansweredQuestion

# Questions are kept for about 13 months so a year can be compared with the last.
RETENTION = timedelta(days=400)


class DynamoDBUnansweredQuestionStore:
    """Items ``PK = CHAT_UNANSWERED#<yyyy-mm>``, ``SK = <asked_at>#<uuid>``; a TTL removes them."""

    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    def _table(self) -> Any:
        return aws.table(self._table_name)

    def record(self, question: UnansweredQuestion) -> None:
        asked_at = question.asked_at.astimezone(UTC)
        self._table().put_item(
            Item={
                "PK": f"CHAT_UNANSWERED#{asked_at:%Y-%m}",
                "SK": f"{asked_at.isoformat()}#{uuid.uuid4()}",
                "text": question.text,
                "locale": question.locale,
                "reason": question.reason,
                "confidence": Decimal(str(round(question.confidence, 4))),
                "best_match": question.best_match,
                "asked_at": asked_at.isoformat(),
                "expires_at_epoch": int((asked_at + RETENTION).timestamp()),
            }
        )

    def list_recorded(self, since: datetime | None = None) -> Iterable[UnansweredQuestion]:
        """Query month by month from ``since`` (default: 90 days ago) to now."""
        now = datetime.now(UTC)
        start = (since or now - timedelta(days=90)).astimezone(UTC)
        month = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        while month <= now:
            yield from self._query_month(month, start)
            month = (month + timedelta(days=32)).replace(day=1)

    def _query_month(self, month: datetime, start: datetime) -> Iterable[UnansweredQuestion]:
        condition = Key("PK").eq(f"CHAT_UNANSWERED#{month:%Y-%m}") & Key("SK").gte(start.isoformat())
        arguments: dict[str, Any] = {"KeyConditionExpression": condition}
        while True:
            response = self._table().query(**arguments)
            for item in response.get("Items", []):
                yield UnansweredQuestion(
                    text=item["text"],
                    locale=item["locale"],
                    reason=item["reason"],
                    confidence=float(item["confidence"]),
                    best_match=item.get("best_match"),
                    asked_at=datetime.fromisoformat(item["asked_at"]),
                )
            if "LastEvaluatedKey" not in response:
                return
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
