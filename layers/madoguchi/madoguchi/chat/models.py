"""The chatbot's answer, as returned to ``POST /api/chat``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ChatSource(_Model):
    """The FAQ entry or procedure an answer was taken from."""

    kind: Literal["faq", "procedure"]
    id: str
    title: str
    url: str | None = None  # a procedure's form page, or the page a FAQ entry points to
    facet: str | None = None  # for a procedure: about, fee, documents, window, ...


class ChatContact(_Model):
    """A department to call or write to when the bot cannot answer."""

    name: str
    phone: str
    email: str
    hours: str


class ChatAnswer(_Model):
    answered: bool
    text: str
    locale: Literal["ja", "en"]
    confidence: float = Field(ge=0.0, le=1.0)
    source: ChatSource | None = None
    contact: ChatContact | None = None  # set when ``answered`` is false
    suggestions: list[str] = []  # follow-up questions the resident can send as they are
