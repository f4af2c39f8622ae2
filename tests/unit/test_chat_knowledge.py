"""Knowledge base building, FAQ validation and rebuilding when files change."""

import os
import shutil
import time
from pathlib import Path

import pytest
from madoguchi.chat import InMemoryUnansweredQuestionStore, answer_question
from madoguchi.chat.knowledge import FaqError, current_knowledge_base, load_faq
from madoguchi.chat.retrieval import Bm25Index
from madoguchi.procedures import load_catalog

ROOT = Path(__file__).resolve().parents[2]


def test_faq_has_entries_in_both_languages():
    faq = load_faq(ROOT / "procedures" / "faq")

    assert len(faq.entries) >= 25
    for entry in faq.entries:
        assert entry.ja.questions and entry.ja.answer
        assert entry.en.questions and entry.en.answer


def test_every_procedure_has_fee_and_documents_answer():
    knowledge_base = current_knowledge_base()

    for procedure_id in load_catalog():
        for language in ("ja", "en"):
            assert knowledge_base.document(language, f"procedure:{procedure_id}#fee") is not None
            assert (
                knowledge_base.document(language, f"procedure:{procedure_id}#documents") is not None
            )


def test_every_faq_first_question_finds_its_entry():
    knowledge_base = current_knowledge_base()

    for language in ("ja", "en"):
        for document in knowledge_base.documents[language]:
            if document.kind != "faq":
                continue
            answer = answer_question(
                document.suggestion, language, unanswered_store=InMemoryUnansweredQuestionStore()
            )
            assert answer.source is not None, document.suggestion
            assert answer.source.id == document.source_id, document.suggestion


def test_load_faq_rejects_unknown_related_id(tmp_path):
    (tmp_path / "general.yaml").write_text(
        """
contacts:
  helpdesk: {name: {ja: 窓口}, phone: 000-000-0000, email: a@example.jp, hours: {ja: 平日}}
entries:
  - id: one
    related: [missing]
    ja: {questions: [質問], answer: 回答}
    en: {questions: [question], answer: answer}
""",
        encoding="utf-8",
    )

    with pytest.raises(FaqError, match="missing"):
        load_faq(tmp_path)


def test_load_faq_requires_helpdesk_contact(tmp_path):
    (tmp_path / "general.yaml").write_text("entries: []\n", encoding="utf-8")

    with pytest.raises(FaqError, match="helpdesk"):
        load_faq(tmp_path)


def test_knowledge_base_rebuilds_when_faq_changes(tmp_path, monkeypatch):
    faq_copy = tmp_path / "faq"
    shutil.copytree(ROOT / "procedures" / "faq", faq_copy)
    monkeypatch.setenv("FAQ_DIR", str(faq_copy))
    before = current_knowledge_base()

    extra = faq_copy / "extra.yaml"
    extra.write_text(
        """
entries:
  - id: parking
    ja: {questions: [県庁の駐車場はありますか], answer: 県庁の駐車場は来庁者用に2時間まで無料です。}
    en: {questions: ["Is there parking at the prefectural office?"], answer: Visitors park free for two hours.}
""",
        encoding="utf-8",
    )
    os.utime(extra, (time.time() + 5, time.time() + 5))
    after = current_knowledge_base()

    assert after is not before
    assert after.document("ja", "faq:parking") is not None
    assert current_knowledge_base() is after


def test_bm25_prefers_document_with_rarer_term():
    index = Bm25Index([["申請", "手数料"], ["申請", "書類"], ["申請", "期間"]])

    scores = index.scores(["申請", "手数料"])

    assert max(scores, key=scores.get) == 0
    assert index.coverage(["手数料", "天気"], 0) < 0.6
    assert index.coverage(["申請", "手数料"], 0) == 1.0
