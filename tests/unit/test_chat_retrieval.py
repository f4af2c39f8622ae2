"""Retrieval against the real procedure catalog and FAQ, with SudachiPy loaded."""

import pytest
from madoguchi.chat import InMemoryUnansweredQuestionStore, answer_question
from madoguchi.chat.normalize import fold_kana, normalize_text, normalize_width


def ask(question: str, locale: str = "ja"):
    return answer_question(question, locale, unanswered_store=InMemoryUnansweredQuestionStore())


def source_key(answer) -> str | None:
    if answer.source is None:
        return None
    return f"{answer.source.kind}:{answer.source.id}"


def test_normalize_width_folds_half_and_full_width():
    assert normalize_width("ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ") == "マイナンバーカード"
    assert normalize_width("ＰＤＦ　２０２７") == "pdf 2027"


def test_fold_kana_converts_katakana_to_hiragana():
    assert fold_kana("マイナンバーカード") == "まいなんばーかーど"


@pytest.mark.parametrize("variant", ["マイナカード", "個人番号カード", "まいなかーど", "ﾏｲﾅｶｰﾄﾞ"])
def test_synonyms_map_to_canonical_term(variant):
    assert normalize_text(f"{variant}が必要", "ja") == "マイナンバーカードが必要"


@pytest.mark.parametrize(
    "question",
    [
        "マイナンバーカードがないと申請できませんか？",
        "マイナカードないとダメ？",
        "個人番号カードを持っていない",
        "まいなかーどないとだめ",
        "ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞは必要ですか",
        "マイナンバカードがない",
    ],
)
def test_my_number_card_variants_find_same_entry(question):
    answer = ask(question)

    assert answer.answered
    assert source_key(answer) == "faq:my-number-card-required"


def test_hiragana_only_question_finds_fee():
    answer = ask("しゅりょうめんきょのてすうりょう")

    assert answer.answered
    assert answer.source.id == "hunting-licence-exam"
    assert answer.source.facet == "fee"


def test_kanji_typo_with_same_reading_finds_fee():
    answer = ask("しゅりょう免許の手数量")

    assert answer.source is not None
    assert answer.source.id == "hunting-licence-exam"
    assert answer.source.facet == "fee"


def test_full_width_question_finds_formats():
    answer = ask("ＰＤＦで添付できますか")

    assert source_key(answer) == "faq:attachment-formats"


def test_english_question_answered_from_english_entry():
    answer = ask("Can I pay at a konbini?", "ja")

    assert answer.answered
    assert answer.locale == "en"
    assert source_key(answer) == "faq:payment-konbini"
    assert "convenience store" in answer.text


def test_english_fee_question_finds_procedure_fee():
    answer = ask("How much is the hunting licence exam?", "en")

    assert answer.source is not None
    assert answer.source.facet == "fee"
    assert "¥5,200" in answer.text


def test_own_application_question_points_to_status_page():
    answer = ask("私の申請どうなった？")

    assert source_key(answer) == "faq:application-status"
    assert answer.source.url == "/status"
    assert "/status" in answer.text


def test_suggestions_are_questions_that_answer_themselves():
    answer = ask("狩猟免許の手数料はいくら？")

    assert answer.suggestions
    for suggestion in answer.suggestions:
        assert ask(suggestion).answered, suggestion
