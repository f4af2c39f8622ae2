"""Answer providers: the interface and the local retrieval implementation.

``answer_question`` calls whichever provider is configured, so a managed model
(for example Amazon Bedrock with the knowledge base as context) can replace or
wrap the retrieval provider without changing callers. Providers receive the
question with personal data already masked.
"""

from __future__ import annotations

import os
import re
from typing import Protocol

from madoguchi.chat.knowledge import (
    Document,
    KnowledgeBase,
    current_knowledge_base,
    fee_answer,
)
from madoguchi.chat.models import ChatAnswer, ChatContact, ChatSource
from madoguchi.chat.normalize import Language, normalize_text
from madoguchi.chat.retrieval import Match
from madoguchi.chat.tokenize import analyze
from madoguchi.i18n import translate

# Below this confidence the bot returns "I don't know" with a department's contact.
ANSWER_THRESHOLD = 0.5
# Below this confidence an answer is returned but also recorded for review.
REVIEW_THRESHOLD = 0.65
MAX_SUGGESTIONS = 3

_FACET_ORDER = (
    "fee",
    "documents",
    "window",
    "sessions",
    "eligibility",
    "identity",
    "contact",
    "about",
)
_JA_COUNTS = {"一": 1, "二": 2, "三": 3, "四": 4, "ひと": 1, "ふた": 2, "みっ": 3, "よっ": 4}
_EN_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "both": 2}
_JA_ITEM_COUNT = re.compile(r"([0-9]+|[一二三四]|ひと|ふた|みっ|よっ)\s*(?:種類|種|つ)")
_EN_ITEM_COUNT = re.compile(
    r"\b([0-9]+|one|two|three|four|both)\b(?:\s+\w+)?\s+(?:types?|kinds?|licen[cs]es?|exams?)\b"
)


class AnswerProvider(Protocol):
    def answer(self, question: str, language: Language) -> ChatAnswer:
        """Answer a masked, non-empty question in ``language`` ("ja" or "en")."""
        ...


class RetrievalAnswerProvider:
    """Local provider: BM25 retrieval over the FAQ and procedure definitions, without network calls."""

    def answer(self, question: str, language: Language) -> ChatAnswer:
        knowledge_base = current_knowledge_base()
        normalized = normalize_text(question, language)
        words, characters = analyze(normalized, language)
        matches = knowledge_base.retrievers[language].rank(words, characters)
        documents = knowledge_base.documents[language]

        if not matches or matches[0].confidence < ANSWER_THRESHOLD:
            return self._fallback(knowledge_base, language, words, matches)

        best = matches[0]
        document = documents[best.index]
        text = self._answer_text(knowledge_base, document, normalized, language)
        return ChatAnswer(
            answered=True,
            text=text,
            locale=language,
            confidence=round(best.confidence, 3),
            source=ChatSource(
                kind=document.kind,
                id=document.source_id,
                title=document.title,
                url=document.url,
                facet=document.facet,
            ),
            suggestions=self._suggestions(knowledge_base, document, language),
        )

    def _answer_text(
        self, knowledge_base: KnowledgeBase, document: Document, question: str, language: Language
    ) -> str:
        answer = document.answer
        if document.facet == "fee":
            count = _item_count(question, language)
            if count is not None:
                definition = knowledge_base.procedures[document.source_id]
                answer = fee_answer(definition, language, item_count=count)
        if document.url:
            key = "chat.form_link" if document.url.startswith("/procedures/") else "chat.more_link"
            answer += "\n" + translate(key, language, url=document.url)
        return answer

    def _suggestions(
        self, knowledge_base: KnowledgeBase, document: Document, language: Language
    ) -> list[str]:
        documents = knowledge_base.documents[language]
        by_key = {candidate.key: candidate for candidate in documents}
        suggestions = [
            by_key[f"faq:{related}"].suggestion
            for related in document.related
            if f"faq:{related}" in by_key
        ]
        if document.procedure_id:
            for facet in _FACET_ORDER:
                candidate = by_key.get(f"procedure:{document.procedure_id}#{facet}")
                if candidate and candidate.key != document.key:
                    suggestions.append(candidate.suggestion)
        return _unique(suggestions)[:MAX_SUGGESTIONS]

    def _fallback(
        self,
        knowledge_base: KnowledgeBase,
        language: Language,
        words: list[str],
        matches: list[Match],
    ) -> ChatAnswer:
        documents = knowledge_base.documents[language]
        procedure_id = _mentioned_procedure(knowledge_base, language, words)
        department = knowledge_base.contact_for(procedure_id)
        contact = ChatContact(
            name=department.name.get(language),
            phone=department.phone,
            email=department.email,
            hours=department.hours.get(language),
        )
        text = "\n".join(
            [
                translate("chat.unknown", language),
                translate(
                    "chat.contact",
                    language,
                    name=contact.name,
                    phone=contact.phone,
                    email=contact.email,
                    hours=contact.hours,
                ),
            ]
        )
        # Near misses are offered as questions the resident may have meant.
        suggestions = [
            documents[match.index].suggestion
            for match in matches
            if match.confidence >= ANSWER_THRESHOLD / 2
        ]
        return ChatAnswer(
            answered=False,
            text=text,
            locale=language,
            confidence=round(matches[0].confidence, 3) if matches else 0.0,
            contact=contact,
            suggestions=_unique(suggestions)[:MAX_SUGGESTIONS],
        )


def _mentioned_procedure(
    knowledge_base: KnowledgeBase, language: Language, words: list[str]
) -> str | None:
    """Return the procedure whose title shares the most specific words with the question.

    Words in every procedure title (such as 申請) do not count. When two
    procedures tie and have different departments, returns None so that the
    general helpdesk is used.
    """
    titles = {
        procedure_id: set(
            analyze(normalize_text(definition.title.get(language), language), language)[0]
        )
        for procedure_id, definition in knowledge_base.procedures.items()
    }
    common = set.intersection(*titles.values()) if titles else set()
    index = knowledge_base.retrievers[language].words
    question_words = set(words)
    scores = {
        procedure_id: sum(index.idf(word) for word in (title_words - common) & question_words)
        for procedure_id, title_words in titles.items()
    }
    best_score = max(scores.values(), default=0.0)
    if best_score == 0:
        return None
    best = [procedure_id for procedure_id, score in scores.items() if score == best_score]
    departments = {knowledge_base.procedures[procedure_id].department for procedure_id in best}
    return best[0] if len(departments) == 1 else None


def _item_count(question: str, language: Language) -> int | None:
    """Return the number of items named in a fee question ("2種類", "two types"), if any."""
    # NOTE: items named one by one (「わな猟と網猟」) are not counted, so such a question
    # gets the per-item fee and the two-item example but no total of its own.
    pattern, words = (
        (_EN_ITEM_COUNT, _EN_COUNTS) if language == "en" else (_JA_ITEM_COUNT, _JA_COUNTS)
    )
    match = pattern.search(question)
    if match is None:
        return None
    value = match.group(1)
    return int(value) if value.isdigit() else words[value]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def configured_provider() -> AnswerProvider:
    """Return the provider named by ``CHAT_PROVIDER`` (only ``retrieval`` exists so far).

    Raises:
        ValueError: ``CHAT_PROVIDER`` names an unknown provider.
    """
    name = os.environ.get("CHAT_PROVIDER", "retrieval")
    if name == "retrieval":
        return RetrievalAnswerProvider()
    raise ValueError(f"unknown CHAT_PROVIDER '{name}'; supported: retrieval")
