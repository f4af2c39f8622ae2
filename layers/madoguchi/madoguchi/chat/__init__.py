"""Chatbot that answers residents' questions from the FAQ and procedure catalog.

Call ``answer_question(message, locale)``. Importing this package is cheap: the
Japanese dictionary loads on the first question (or on ``warm_up()``).
"""

from madoguchi.chat.answer import answer_question, default_unanswered_store, set_unanswered_store
from madoguchi.chat.masking import mask_personal_data
from madoguchi.chat.models import ChatAnswer, ChatContact, ChatSource
from madoguchi.chat.provider import AnswerProvider, RetrievalAnswerProvider
from madoguchi.chat.unanswered import (
    InMemoryUnansweredQuestionStore,
    QuestionFrequency,
    UnansweredQuestion,
    UnansweredQuestionStore,
    list_unanswered_by_frequency,
)


def warm_up() -> None:
    """Load the tokeniser dictionary and build the knowledge base, e.g. during Lambda init."""
    from madoguchi.chat.knowledge import current_knowledge_base
    from madoguchi.chat.tokenize import load_models

    load_models()
    current_knowledge_base()


__all__ = [
    "AnswerProvider",
    "ChatAnswer",
    "ChatContact",
    "ChatSource",
    "InMemoryUnansweredQuestionStore",
    "QuestionFrequency",
    "RetrievalAnswerProvider",
    "UnansweredQuestion",
    "UnansweredQuestionStore",
    "answer_question",
    "default_unanswered_store",
    "list_unanswered_by_frequency",
    "mask_personal_data",
    "set_unanswered_store",
    "warm_up",
]
