"""Tests of フリガナ normalisation and the katakana check."""

import pytest
from madoguchi.i18n import load_catalog, translate
from madoguchi.japanese import InputError, is_katakana_only, normalize_furigana


def assert_renders_in_both_locales(error: InputError) -> None:
    for locale in ("ja", "en"):
        assert error.code in load_catalog(locale)
        assert translate(error.code, locale, **error.params)
    assert error.message("ja") != error.message("en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ヤマダ　タロウ", "ヤマダ　タロウ"),
        ("やまだ　たろう", "ヤマダ　タロウ"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ"),
        ("ｶﾞｯｺｳ", "ガッコウ"),
        ("ﾊﾟﾝ", "パン"),
        ("ﾋﾟｰﾀｰ", "ピーター"),
        ("ｳﾞｧｲｵﾚｯﾄ", "ヴァイオレット"),
        ("ゔぁいおれっと", "ヴァイオレット"),
        ("か\u3099", "ガ"),
        ("は\u309a", "パ"),
        ("カ゛", "ガ"),
        ("ハ゜", "パ"),
        ("ジョン・スミス", "ジョン・スミス"),
        ("ｼﾞｮﾝ･ｽﾐｽ", "ジョン・スミス"),
        ("さとう  はなこ", "サトウ　ハナコ"),
        ("サトウ 　 ハナコ", "サトウ　ハナコ"),
        (" サトウ ", "サトウ"),
        ("ヶ", "ヶ"),
        ("", ""),
        ("　", ""),
    ],
)
def test_normalize_furigana(text, expected):
    assert normalize_furigana(text) == expected


@pytest.mark.parametrize(
    ("text", "character"),
    [
        ("山田　タロウ", "山"),
        ("ヤマダ 太郎", "太"),
        ("髙橋", "髙"),
        ("𠮷野", "𠮷"),
        ("葛\U000e0100", "葛\U000e0100"),
        ("ヤマダ1", "1"),
        ("yamada", "y"),
        ("ヤマダ-タロウ", "-"),
        ("ヤマダ\tタロウ", "\t"),
        ("ア\u3099", "ア\u3099"),
        # カ with the semi-voiced mark has no precomposed character.
        ("か\u3099か\u309a", "カ\u309a"),
        ("ゝ", "ヽ"),
    ],
)
def test_normalize_furigana_names_first_invalid(text, character):
    with pytest.raises(InputError) as excinfo:
        normalize_furigana(text)
    assert excinfo.value.code == "input.furigana_invalid_character"
    assert excinfo.value.params == {"character": character}
    assert_renders_in_both_locales(excinfo.value)


def test_furigana_message_names_character():
    with pytest.raises(InputError) as excinfo:
        normalize_furigana("𠮷野")
    assert "「𠮷」" in excinfo.value.message("ja")
    assert '"𠮷"' in excinfo.value.message("en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ヤマダ", True),
        ("ジョン・スミス", True),
        ("ピーター", True),
        ("ヤマダ　タロウ", False),
        ("やまだ", False),
        ("ﾔﾏﾀﾞ", False),
        ("山田", False),
        ("", False),
    ],
)
def test_is_katakana_only(text, expected):
    assert is_katakana_only(text) is expected
