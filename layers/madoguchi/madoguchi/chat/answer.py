"""``answer_question``: the chatbot's entry point for ``POST /api/chat``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from madoguchi.chat.masking import contains_personal_data, mask_personal_data
from madoguchi.chat.models import ChatAnswer
from madoguchi.chat.normalize import detect_language
from madoguchi.chat.provider import REVIEW_THRESHOLD, AnswerProvider, configured_provider
from madoguchi.chat.unanswered import (
    InMemoryUnansweredQuestionStore,
    UnansweredQuestion,
    UnansweredQuestionStore,
)
from madoguchi.i18n import normalize_locale, translate

logger = logging.getLogger(__name__)

# Longer messages are cut to this many characters, which bounds the work per request.
MAX_QUESTION_LENGTH = 500

_default_store: UnansweredQuestionStore = InMemoryUnansweredQuestionStore()
_default_provider: AnswerProvider | None = None


def set_unanswered_store(store: UnansweredQuestionStore) -> None:
    """Replace the store that ``answer_question`` records to by default, e.g. with DynamoDB."""
    global _default_store
    _default_store = store


def default_unanswered_store() -> UnansweredQuestionStore:
    return _default_store


def answer_question(
    message: str,
    locale: str,
    *,
    provider: AnswerProvider | None = None,
    unanswered_store: UnansweredQuestionStore | None = None,
) -> ChatAnswer:
    """Answer a resident's question from the FAQ and procedure catalog.

    The answer is in the language of the question (Japanese or English), and in
    ``locale`` when the question has no letters of either. Personal data is
    masked before the question reaches the provider, a log or the store, and
    the answer never repeats the question. Unanswered and low-confidence
    questions are recorded in ``unanswered_store``.

    Raises:
        DefinitionError, FaqError: a procedure or FAQ file is invalid (a deployment error).
    """
    global _default_provider
    fallback_locale = normalize_locale(locale)
    masked = mask_personal_data(message[:MAX_QUESTION_LENGTH]).strip()
    language = detect_language(masked) or fallback_locale
    if not masked:
        return ChatAnswer(
            answered=False,
            text=translate("chat.empty_question", language),
            locale=language,
            confidence=0.0,
        )

    if provider is None:
        if _default_provider is None:
            _default_provider = configured_provider()
        provider = _default_provider
    answer = provider.answer(masked, language)

    if contains_personal_data(message):
        notice = translate("chat.personal_data_notice", language)
        answer = answer.model_copy(update={"text": f"{notice}\n{answer.text}"})

    source_key = f"{answer.source.kind}:{answer.source.id}" if answer.source else None
    logger.info(
        "chat question answered",
        extra={
            "question": masked,
            "language": language,
            "answered": answer.answered,
            "confidence": answer.confidence,
            "source": source_key,
            "facet": answer.source.facet if answer.source else None,
        },
    )
    if not answer.answered or answer.confidence < REVIEW_THRESHOLD:
        store = unanswered_store if unanswered_store is not None else _default_store
        store.record(
            UnansweredQuestion(
                text=masked,
                locale=language,
                reason="unanswered" if not answer.answered else "low_confidence",
                confidence=answer.confidence,
                best_match=source_key,
                asked_at=datetime.now(UTC),
            )
        )
    return answer
