"""The knowledge base: FAQ entries and per-facet answers built from procedure definitions.

Every procedure yields one document per facet (what it is, who may apply,
fee, documents, window, exam sessions, contact, identity) in each locale, and
every FAQ entry one document per locale. ``current_knowledge_base()`` rebuilds
the index when a procedure, FAQ or window override file changes.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from madoguchi.chat.normalize import Language, normalize_text
from madoguchi.chat.retrieval import HybridRetriever
from madoguchi.chat.tokenize import analyze
from madoguchi.i18n import translate
from madoguchi.procedures.loader import (
    DefinitionError,
    apply_window_overrides,
    load_definitions,
    procedures_dir,
)
from madoguchi.procedures.models import (
    TOKYO,
    Department,
    FixedFee,
    PerItemFee,
    ProcedureDefinition,
)

logger = logging.getLogger(__name__)

LANGUAGES: tuple[Language, ...] = ("ja", "en")
HELPDESK = "helpdesk"
FACETS = ("about", "eligibility", "fee", "documents", "window", "sessions", "contact", "identity")
_FACETS_FILE = Path(__file__).parent / "facets.yaml"
_SYNONYMS_FILE = Path(__file__).parent / "synonyms.yaml"
_FOLDED_JAPANESE_SPACE = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")

_LIST_SEPARATOR = {"ja": "、", "en": ", "}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaqText(_Model):
    """The questions and the answer of one FAQ entry in one language."""

    questions: list[str] = Field(min_length=1)
    answer: str


class FaqEntry(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    ja: FaqText
    en: FaqText
    procedure: str | None = None  # related procedure id: its form link and department
    department: str | None = (
        None  # contact id from a ``contacts`` map, used instead of the procedure's
    )
    url: str | None = None  # page that the answer points to, e.g. /status
    related: list[str] = []  # FAQ ids offered as follow-up questions


class FaqFile(_Model):
    contacts: dict[str, Department] = {}
    entries: list[FaqEntry] = []


class FaqError(Exception):
    """Invalid FAQ file. The message names the file and the problem."""


@dataclass(frozen=True)
class Document:
    """One answerable unit of the knowledge base, in one language."""

    key: str  # "faq:<id>" or "procedure:<id>#<facet>"
    kind: Literal["faq", "procedure"]
    source_id: str
    language: Language
    title: str
    answer: str
    suggestion: str  # the question to offer when suggesting this document
    url: str | None
    procedure_id: str | None
    contact_id: str | None
    facet: str | None = None
    related: tuple[str, ...] = ()


@dataclass
class KnowledgeBase:
    procedures: dict[str, ProcedureDefinition]
    contacts: dict[str, Department]
    documents: dict[Language, list[Document]] = field(default_factory=dict)
    retrievers: dict[Language, HybridRetriever] = field(default_factory=dict)

    def document(self, language: Language, key: str) -> Document | None:
        for document in self.documents[language]:
            if document.key == key:
                return document
        return None

    def contact_for(self, procedure_id: str | None, contact_id: str | None = None) -> Department:
        """Return the department to refer a resident to, the general helpdesk by default."""
        if contact_id and contact_id in self.contacts:
            return self.contacts[contact_id]
        if procedure_id and procedure_id in self.procedures:
            return self.procedures[procedure_id].department
        return self.contacts[HELPDESK]


def faq_dir() -> Path:
    return Path(os.environ.get("FAQ_DIR") or procedures_dir() / "faq")


def load_faq(directory: Path) -> FaqFile:
    """Load and merge every ``*.yaml`` FAQ file in ``directory``.

    Raises:
        FaqError: a file does not parse or validate, an id repeats, a reference is
            unknown, or no file defines the ``helpdesk`` contact.
    """
    contacts: dict[str, Department] = {}
    entries: list[FaqEntry] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            faq_file = FaqFile.model_validate(data)
        except (yaml.YAMLError, ValidationError) as exc:
            raise FaqError(f"invalid FAQ file {path}: {exc}") from exc
        contacts.update(faq_file.contacts)
        entries.extend(faq_file.entries)

    ids = [entry.id for entry in entries]
    duplicates = sorted({entry_id for entry_id in ids if ids.count(entry_id) > 1})
    if duplicates:
        raise FaqError(f"FAQ ids must be unique in {directory}, repeated: {', '.join(duplicates)}")
    if HELPDESK not in contacts:
        raise FaqError(f"no FAQ file in {directory} defines the '{HELPDESK}' contact")
    for entry in entries:
        if entry.department and entry.department not in contacts:
            raise FaqError(f"FAQ entry '{entry.id}': unknown department '{entry.department}'")
        unknown = [related for related in entry.related if related not in ids]
        if unknown:
            raise FaqError(f"FAQ entry '{entry.id}': unknown related ids {unknown}")
    return FaqFile(contacts=contacts, entries=entries)


def build_knowledge_base(procedures: dict[str, ProcedureDefinition], faq: FaqFile) -> KnowledgeBase:
    """Build documents and indexes for every language.

    Raises:
        FaqError: a FAQ entry refers to a procedure that does not exist.
    """
    for entry in faq.entries:
        if entry.procedure and entry.procedure not in procedures:
            raise FaqError(f"FAQ entry '{entry.id}': unknown procedure '{entry.procedure}'")

    knowledge_base = KnowledgeBase(procedures=procedures, contacts=dict(faq.contacts))
    facet_keywords = yaml.safe_load(_FACETS_FILE.read_text(encoding="utf-8"))
    for language in LANGUAGES:
        documents: list[Document] = []
        index_texts: list[str] = []
        for entry in faq.entries:
            document, text = _faq_document(entry, language)
            documents.append(document)
            index_texts.append(text)
        for definition in procedures.values():
            for document in _procedure_documents(definition, language):
                documents.append(document)
                keywords = facet_keywords[document.facet][language]
                # Title and keywords go in twice: the title distinguishes procedures, the keywords facets.
                index_texts.append(
                    f"{document.title} {document.title} {keywords} {keywords} {document.answer}"
                )

        analyzed = [analyze(normalize_text(text, language), language) for text in index_texts]
        knowledge_base.documents[language] = documents
        knowledge_base.retrievers[language] = HybridRetriever(
            [words for words, _ in analyzed], [characters for _, characters in analyzed]
        )
    return knowledge_base


def join_folded_lines(text: str) -> str:
    """Remove the spaces that YAML folding (``>-``) puts between two lines of Japanese text."""
    return _FOLDED_JAPANESE_SPACE.sub("", text)


def _faq_document(entry: FaqEntry, language: Language) -> tuple[Document, str]:
    text: FaqText = getattr(entry, language)
    url = entry.url or (f"/procedures/{entry.procedure}" if entry.procedure else None)
    document = Document(
        key=f"faq:{entry.id}",
        kind="faq",
        source_id=entry.id,
        language=language,
        title=text.questions[0],
        answer=join_folded_lines(text.answer),
        suggestion=text.questions[0],
        url=url,
        procedure_id=entry.procedure,
        contact_id=entry.department,
        related=tuple(entry.related),
    )
    # Questions carry the resident's wording, so they are indexed twice.
    questions = " ".join(text.questions)
    return document, f"{questions} {questions} {text.answer}"


def _procedure_documents(definition: ProcedureDefinition, language: Language) -> list[Document]:
    title = definition.title.get(language)
    url = f"/procedures/{definition.id}"
    answers = {
        "about": _about_answer(definition, language),
        "eligibility": _eligibility_answer(definition, language),
        "fee": fee_answer(definition, language),
        "documents": _documents_answer(definition, language),
        "window": _window_answer(definition, language),
        "sessions": _sessions_answer(definition, language),
        "contact": _contact_answer(definition, language),
        "identity": translate(f"chat.facet.identity_{definition.identity}", language, title=title),
    }
    return [
        Document(
            key=f"procedure:{definition.id}#{facet}",
            kind="procedure",
            source_id=definition.id,
            language=language,
            title=title,
            answer=join_folded_lines(answer),
            suggestion=translate(f"chat.suggestion.{facet}", language, title=title),
            url=url,
            procedure_id=definition.id,
            contact_id=None,
            facet=facet,
        )
        for facet, answer in answers.items()
        if answer is not None
    ]


def _about_answer(definition: ProcedureDefinition, language: Language) -> str:
    lines = [
        translate(
            "chat.facet.about",
            language,
            title=definition.title.get(language),
            summary=definition.summary.get(language),
        )
    ]
    if definition.legal_basis:
        lines.append(
            translate(
                "chat.facet.legal_basis", language, legal_basis=definition.legal_basis.get(language)
            )
        )
    return "\n".join(lines)


def _eligibility_answer(definition: ProcedureDefinition, language: Language) -> str:
    title = definition.title.get(language)
    lines = [
        translate(
            "chat.facet.eligibility",
            language,
            title=title,
            eligibility=definition.eligibility.get(language),
        )
    ]
    if definition.residents_only:
        lines.append(translate("chat.facet.residents_only", language))
    return "\n".join(lines)


def fee_answer(
    definition: ProcedureDefinition, language: Language, item_count: int | None = None
) -> str:
    """Describe the fee. With ``item_count``, also give the total for that many items of a per-item fee."""
    title = definition.title.get(language)
    fee = definition.fee
    if fee is None or (isinstance(fee.rule, FixedFee) and fee.rule.amount == 0):
        return translate("chat.facet.fee_none", language, title=title)

    lines: list[str] = []
    rule = fee.rule
    if isinstance(rule, PerItemFee):
        item_field = definition.field(rule.field)
        values = [option.value for option in item_field.options]
        example_amount = definition.fee_amount({rule.field: values[:2]})
        lines.append(
            translate(
                "chat.facet.fee_per_item",
                language,
                title=title,
                item=item_field.label.get(language),
                options=_LIST_SEPARATOR[language].join(
                    option.label.get(language) for option in item_field.options
                ),
                amount=f"{rule.amount:,}",
                example_amount=f"{example_amount:,}",
            )
        )
        if item_count is not None and 1 <= item_count <= len(values):
            amount = definition.fee_amount({rule.field: values[:item_count]})
            lines.append(
                translate(
                    "chat.facet.fee_per_item_count",
                    language,
                    count=item_count,
                    amount=f"{amount:,}",
                )
            )
    else:
        # A quantity fee is described by its fixed part; the fee note explains the rest.
        amount = rule.amount if isinstance(rule, FixedFee) else rule.fixed_amount
        lines.append(
            translate("chat.facet.fee_fixed", language, title=title, amount=f"{amount:,}")
        )
    if fee.note:
        lines.append(fee.note.get(language))
    if not fee.refundable:
        lines.append(translate("chat.facet.fee_not_refundable", language))
    return "\n".join(lines)


def _documents_answer(definition: ProcedureDefinition, language: Language) -> str:
    title = definition.title.get(language)
    files = [field for field in definition.fields if field.type == "file"]
    if not files:
        return translate("chat.facet.documents_none", language, title=title)

    lines = [translate("chat.facet.documents_intro", language, title=title)]
    for file_field in files:
        key = "documents_item_conditional" if file_field.visible_when else "documents_item"
        line = translate(f"chat.facet.{key}", language, label=file_field.label.get(language))
        if file_field.hint:
            line += translate(
                "chat.facet.documents_hint", language, hint=file_field.hint.get(language)
            )
        lines.append(line)
    return "\n".join(lines)


def format_date_time(moment: datetime, language: Language) -> str:
    local = moment.astimezone(TOKYO)
    return translate(
        "chat.date_time",
        language,
        year=local.year,
        month=local.month,
        month_name=_MONTHS[local.month - 1],
        day=local.day,
        hour=local.hour,
        minute=local.minute,
    )


def _window_answer(definition: ProcedureDefinition, language: Language) -> str:
    title = definition.title.get(language)
    if definition.window is None:
        return translate("chat.facet.window_always", language, title=title)
    lines = [
        translate(
            "chat.facet.window_range",
            language,
            title=title,
            opens_at=format_date_time(definition.window.opens_at, language),
            closes_at=format_date_time(definition.window.closes_at, language),
        )
    ]
    if definition.window.note:
        lines.append(definition.window.note.get(language))
    return "\n".join(lines)


def _sessions_answer(definition: ProcedureDefinition, language: Language) -> str | None:
    """List the dated options (exam sessions), or return None when the procedure has none."""
    dated = [
        option
        for form_field in definition.fields
        for option in form_field.options
        if option.date is not None
    ]
    if not dated:
        return None

    lines = [translate("chat.facet.sessions_intro", language, title=definition.title.get(language))]
    for option in dated:
        label = option.label.get(language)
        if option.window:
            lines.append(
                translate(
                    "chat.facet.session_item",
                    language,
                    label=label,
                    opens_at=format_date_time(option.window.opens_at, language),
                    closes_at=format_date_time(option.window.closes_at, language),
                )
            )
        else:
            lines.append(translate("chat.facet.session_item_no_window", language, label=label))
    return "\n".join(lines)


def _contact_answer(definition: ProcedureDefinition, language: Language) -> str:
    department = definition.department
    return translate(
        "chat.facet.contact",
        language,
        title=definition.title.get(language),
        name=department.name.get(language),
        phone=department.phone,
        email=department.email,
        hours=department.hours.get(language),
    )


# --- Cache keyed by the source files -------------------------------------------------------

_cache_lock = threading.Lock()
_cached: tuple[tuple, KnowledgeBase] | None = None


def _source_files() -> list[Path]:
    files = sorted(procedures_dir().glob("*.yaml")) + sorted(faq_dir().glob("*.yaml"))
    files += [_FACETS_FILE, _SYNONYMS_FILE]
    overrides = os.environ.get("WINDOW_OVERRIDES_FILE")
    if overrides:
        files.append(Path(overrides))
    return files


def _fingerprint(files: list[Path]) -> tuple:
    fingerprint = []
    for path in files:
        stat = path.stat()
        fingerprint.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(fingerprint)


def current_knowledge_base() -> KnowledgeBase:
    """Return the knowledge base, rebuilding it when a source file was added, removed or changed.

    Procedure files are read with the loader's uncached functions, because
    ``load_catalog()`` keeps the first version it read for the life of the process.

    Raises:
        DefinitionError: a procedure definition is invalid.
        FaqError: a FAQ file is invalid.
    """
    global _cached
    fingerprint = _fingerprint(_source_files())
    with _cache_lock:
        if _cached is not None and _cached[0] == fingerprint:
            return _cached[1]

        procedures = load_definitions(procedures_dir().glob("*.yaml"))
        overrides = os.environ.get("WINDOW_OVERRIDES_FILE")
        if overrides:
            procedures = apply_window_overrides(procedures, Path(overrides))
        knowledge_base = build_knowledge_base(procedures, load_faq(faq_dir()))
        logger.info(
            "chat knowledge base built",
            extra={
                "procedures": len(procedures),
                "documents": len(knowledge_base.documents["ja"]),
                "rebuilt": _cached is not None,
            },
        )
        _cached = (fingerprint, knowledge_base)
        return knowledge_base


__all__ = [
    "DefinitionError",
    "Document",
    "FaqEntry",
    "FaqError",
    "FaqFile",
    "KnowledgeBase",
    "build_knowledge_base",
    "current_knowledge_base",
    "fee_answer",
    "load_faq",
]
