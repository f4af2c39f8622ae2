"""answer_question: fee answers, the fallback with a contact, and recording of unanswered questions."""

from madoguchi.chat import (
    InMemoryUnansweredQuestionStore,
    answer_question,
    list_unanswered_by_frequency,
)
from madoguchi.chat.knowledge import current_knowledge_base


def test_fee_question_answers_amount_and_form_link():
    answer = answer_question(
        "狩猟免許の手数料はいくら？", "ja", unanswered_store=InMemoryUnansweredQuestionStore()
    )

    assert answer.answered
    assert answer.source.kind == "procedure"
    assert answer.source.url == "/procedures/hunting-licence-exam"
    assert "5,200円" in answer.text
    assert "10,400円" in answer.text
    assert "/procedures/hunting-licence-exam" in answer.text


def test_fee_question_with_count_computes_total():
    answer = answer_question(
        "狩猟免許を3種類受けたら手数料はいくら？",
        "ja",
        unanswered_store=InMemoryUnansweredQuestionStore(),
    )

    assert answer.source.facet == "fee"
    assert "15,600円" in answer.text


def test_procedure_without_fee_says_no_fee():
    answer = answer_question(
        "調理師業務従事者届に手数料はかかりますか",
        "ja",
        unanswered_store=InMemoryUnansweredQuestionStore(),
    )

    assert answer.source.id == "cook-employment-notification"
    assert "手数料はかかりません" in answer.text


def test_unrelated_question_falls_back_to_helpdesk():
    store = InMemoryUnansweredQuestionStore()
    helpdesk = current_knowledge_base().contacts["helpdesk"]

    answer = answer_question("明日の天気は？", "ja", unanswered_store=store)

    assert not answer.answered
    assert answer.source is None
    assert answer.contact is not None
    assert answer.contact.phone == helpdesk.phone
    assert helpdesk.phone in answer.text
    assert helpdesk.email in answer.text
    assert answer.confidence < 0.5


def test_unknown_question_about_procedure_gives_its_department():
    answer = answer_question(
        "狩猟免許試験に落ちたら何回でも受けられる？",
        "ja",
        unanswered_store=InMemoryUnansweredQuestionStore(),
    )

    assert not answer.answered
    assert answer.contact.phone == "028-623-3261"
    assert "shizen-kankyo@example.pref.lg.jp" in answer.text


def test_english_fallback_is_in_english():
    answer = answer_question(
        "What's the weather tomorrow?", "ja", unanswered_store=InMemoryUnansweredQuestionStore()
    )

    assert not answer.answered
    assert answer.locale == "en"
    assert answer.text.startswith("Sorry")


def test_unanswered_question_is_recorded_masked():
    store = InMemoryUnansweredQuestionStore()

    answer_question("明日の天気は？ 090-1234-5678", "ja", unanswered_store=store)

    records = store.list_recorded()
    assert len(records) == 1
    assert "090" not in records[0].text
    assert "[PHONE]" in records[0].text
    assert records[0].reason == "unanswered"


def test_answered_question_is_not_recorded():
    store = InMemoryUnansweredQuestionStore()

    answer_question("受付番号を忘れた", "ja", unanswered_store=store)

    assert store.list_recorded() == []


def test_personal_data_is_not_echoed():
    answer = answer_question(
        "taro@example.jp 私の申請どうなった？",
        "ja",
        unanswered_store=InMemoryUnansweredQuestionStore(),
    )

    assert "taro@example.jp" not in answer.text
    assert "個人情報" in answer.text


def test_unanswered_listed_by_frequency():
    store = InMemoryUnansweredQuestionStore()
    for question in ["明日の天気は？", "明日の天気は", "ゴミの出し方を教えて", "明日の天気は?"]:
        answer_question(question, "ja", unanswered_store=store)

    frequencies = list_unanswered_by_frequency(store)

    assert frequencies[0].count == 3
    assert frequencies[0].text.startswith("明日の天気は")
    assert frequencies[1].count == 1


def test_empty_question_asks_for_input():
    answer = answer_question("   ", "en", unanswered_store=InMemoryUnansweredQuestionStore())

    assert not answer.answered
    assert answer.locale == "en"
    assert answer.text.startswith("Please type")


def test_answer_serializes_to_json():
    answer = answer_question(
        "はんこいる？", "ja", unanswered_store=InMemoryUnansweredQuestionStore()
    )

    body = answer.model_dump(mode="json")

    assert set(body) == {
        "answered",
        "text",
        "locale",
        "confidence",
        "source",
        "contact",
        "suggestions",
    }
    assert body["source"]["kind"] == "faq"
    assert 0.0 <= body["confidence"] <= 1.0
