"""Record questions the bot could not answer well, for staff to extend the FAQ."""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from madoguchi.chat.normalize import normalize_width

_TRAILING_PUNCTUATION = re.compile(r"[\s?？!！。.、,]+$")


@dataclass(frozen=True)
class UnansweredQuestion:
    text: str  # already masked by mask_personal_data
    locale: str
    reason: Literal["unanswered", "low_confidence"]
    confidence: float
    best_match: str | None  # knowledge base key of the best candidate, e.g. "faq:payment-methods"
    asked_at: datetime


@dataclass(frozen=True)
class QuestionFrequency:
    text: str  # the most recent wording of the question
    count: int
    unanswered_count: int
    locale: str
    last_asked_at: datetime


class UnansweredQuestionStore(Protocol):
    """Storage for unanswered and low-confidence questions; text arrives masked."""

    def record(self, question: UnansweredQuestion) -> None: ...

    def list_recorded(self, since: datetime | None = None) -> Iterable[UnansweredQuestion]: ...


class InMemoryUnansweredQuestionStore:
    """Keeps the latest ``max_records`` questions in process memory; for tests and local runs."""

    def __init__(self, max_records: int = 10_000) -> None:
        self._records: deque[UnansweredQuestion] = deque(maxlen=max_records)
        self._lock = threading.Lock()

    def record(self, question: UnansweredQuestion) -> None:
        with self._lock:
            self._records.append(question)

    def list_recorded(self, since: datetime | None = None) -> list[UnansweredQuestion]:
        with self._lock:
            records = list(self._records)
        return [record for record in records if since is None or record.asked_at >= since]


def question_key(text: str) -> str:
    """Group wordings that differ only in width, case, spacing or final punctuation."""
    return _TRAILING_PUNCTUATION.sub("", normalize_width(text))


def list_unanswered_by_frequency(
    store: UnansweredQuestionStore, limit: int = 50, since: datetime | None = None
) -> list[QuestionFrequency]:
    """Return the most frequent recorded questions, most frequent first, ties by recency."""
    groups: dict[tuple[str, str], list[UnansweredQuestion]] = {}
    for record in store.list_recorded(since):
        groups.setdefault((record.locale, question_key(record.text)), []).append(record)

    frequencies = []
    for (locale, _), records in groups.items():
        latest = max(records, key=lambda record: record.asked_at)
        frequencies.append(
            QuestionFrequency(
                text=latest.text,
                count=len(records),
                unanswered_count=sum(1 for record in records if record.reason == "unanswered"),
                locale=locale,
                last_asked_at=latest.asked_at,
            )
        )
    frequencies.sort(key=lambda item: (-item.count, -item.last_asked_at.timestamp()))
    return frequencies[:limit]
