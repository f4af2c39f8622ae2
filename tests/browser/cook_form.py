"""Steps through the cook employment notification form, shared by the browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PROCEDURE_ID = "cook-employment-notification"

# Answers typed as a resident would, except the address, which the postal code button fills.
TYPED_ANSWERS = {
    "full_name": "𠮷田 髙子",
    "full_name_kana": "よしだ たかこ",
    "birth_date": "昭和60年4月1日",
    "phone": "028-623-3111",
    "email": "takako.yoshida@example.jp",
    "licence_number": "123456",
    "licence_date": "2008-04-01",
    "licence_prefecture": "栃木県",
    "workplace_name": "食堂まどぐち",
    "workplace_postal_code": "3200806",
    "workplace_address": "栃木県宇都宮市中央1-1-1",
}
POSTAL_CODE = "320-8501"


def form_url(locale: str, procedure_id: str = PROCEDURE_ID) -> str:
    return f"/procedures/{procedure_id}" + ("?lang=en" if locale == "en" else "")


def fill_form(page: Page) -> None:
    """Fill every field by clicking and typing, using the postal code button for the address."""
    for field_id, value in TYPED_ANSWERS.items():
        if field_id == "workplace_name":
            page.locator("#field-workplace_type-wrapper input[value='restaurant']").check()
        page.locator(f"#field-{field_id}").fill(value)
        if field_id == "birth_date":
            page.locator("#field-postal_code").fill(POSTAL_CODE)
            page.locator("#field-postal_code-wrapper .postal-lookup").click()
            # The first lookup opens the postal database; allow for a loaded machine.
            expect(page.locator("#field-address")).to_have_value(
                re.compile("宇都宮市"), timeout=15_000
            )
            expect(page.locator("#field-address")).to_be_focused()
    page.locator("#field-declaration-wrapper input[type=checkbox]").check()
