"""Errors of answer validation, importable without loading the validator."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One problem with one answer, with its message in every supported locale."""

    field: str
    code: str
    messages: dict[str, str]

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, **self.messages}


@dataclass
class AnswersInvalid(Exception):
    """The answers do not satisfy the schema; ``errors`` has one entry per field."""

    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{len(self.errors)} invalid answer(s): " + ", ".join(e.field for e in self.errors)
