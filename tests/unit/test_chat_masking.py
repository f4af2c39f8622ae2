import pytest
from madoguchi.chat import mask_personal_data
from madoguchi.chat.masking import contains_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("電話は090-1234-5678です", "電話は[PHONE]です"),
        ("０９０－１２３４－５６７８", "[PHONE]"),
        ("03(1234)5678に", "[PHONE]に"),
        ("0312345678", "[PHONE]"),
        ("+81 90 1234 5678", "[PHONE]"),
        ("マイナンバーは123456789012", "マイナンバーは[MY_NUMBER]"),
        ("マイナンバーは1234 5678 9012", "マイナンバーは[MY_NUMBER]"),
        ("1234-5678-9012です", "[MY_NUMBER]です"),
        ("１２３４　５６７８　９０１２", "[MY_NUMBER]"),
        ("mail: taro.yamada+chat@example.co.jp", "mail: [EMAIL]"),
        ("たろう＠ｅｘａｍｐｌｅ．ｊｐ", "[EMAIL]"),
        ("カード 1234-5678-9012-3456", "カード [NUMBER]"),
    ],
)
def test_mask_personal_data_replaces(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2027年7月25日の試験", "手数料は5,200円", "〒320-8501", "2種類なら10,400円"],
)
def test_mask_personal_data_keeps_ordinary_numbers(text):
    assert mask_personal_data(text) == text
    assert not contains_personal_data(text)
