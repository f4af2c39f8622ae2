"""Hunting licence exam journey in Chromium on a phone, in Japanese.

The exam's real window is closed, so the ``hunting_open`` fixture opens it for the test.
axe-core (WCAG 2.0/2.1 A and AA) runs on the form with its conditional fields shown and
on the confirmation.
"""

from __future__ import annotations

import re
import time

import pytest
from a11y import axe_violations, horizontal_overflow
from feature_flows import allow_origin, provider_origin, reload_until, verify_on_provider
from madoguchi.i18n import translate
from playwright.sync_api import Page, expect

from tests import attachment_samples as samples

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HUNTING = "hunting-licence-exam"
LICENCE_TYPES = ("trap", "gun_first_class")
EXAM_SESSION = "haga-2027-07-25"
# Two licence types at 5,200円 each.
FEE = "10,400円"

# Answers the My Number card check does not fill (it fills name, birth date and address).
HUNTING_TYPED = {
    "full_name_kana": "ヤマサキ タロウ",
    "postal_code": "320-8501",
    "phone": "090-1234-5678",
}

# The medical certificate shows only when the applicant has no firearm possession permit.
HUNTING_FILES = {
    "medical_certificate": {
        "name": "診断書.pdf",
        "mimeType": "application/pdf",
        "buffer": samples.pdf(),
    },
    "photo": {"name": "顔写真.png", "mimeType": "image/png", "buffer": samples.png()},
}


def fill_hunting_exam(page: Page) -> None:
    """Choose the licence types and exam session, fill what the identity check left empty,
    and upload the medical certificate and photo.

    Expects "no firearm possession permit" chosen, so that the medical certificate shows.
    """
    for licence_type in LICENCE_TYPES:
        page.locator(f"#field-licence_types-wrapper input[value='{licence_type}']").check()
    page.locator(f"#field-exam_session-wrapper input[value='{EXAM_SESSION}']").check()
    for field_id, value in HUNTING_TYPED.items():
        page.locator(f"#field-{field_id}").fill(value)
    page.locator("#field-email").fill(f"taro-{time.time_ns()}@example.jp")

    for field_id, file in HUNTING_FILES.items():
        page.locator(f"#field-{field_id}-wrapper input[type='file']").set_input_files(file)
    for field_id in HUNTING_FILES:
        item = page.locator(f"#field-{field_id}-wrapper .upload-item")
        expect(item).to_have_attribute("data-state", "accepted", timeout=15_000)
    page.locator("#field-declaration-wrapper input[type=checkbox]").check()


def test_hunting_exam_journey(open_page, client, local_stack, hunting_open, screenshot) -> None:
    page = open_page("phone")
    allow_origin(page, provider_origin(local_stack))
    allow_origin(page, local_stack.aws_endpoint)
    violations: dict[str, str] = {}

    page.goto(f"/procedures/{HUNTING}")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    verify_on_provider(page, "山﨑 太郎")
    expect(page).to_have_url(re.compile(rf"/procedures/{HUNTING}$"))
    expect(page.locator("#field-full_name")).to_have_value("山﨑 太郎")
    expect(page.locator("#field-birth_date")).not_to_have_value("")
    expect(page.locator("#field-address")).to_have_value(re.compile("宇都宮市"))

    # A permit holder attaches a copy of the permit in place of the medical certificate.
    page.locator("#field-has_gun_permit-wrapper input[value='yes']").check()
    expect(page.locator("#field-gun_permit_copy-wrapper")).to_be_visible()
    expect(page.locator("#field-medical_certificate-wrapper")).to_be_hidden()
    violations["form with the permit copy shown"] = axe_violations(page)
    page.locator("#field-has_gun_permit-wrapper input[value='no']").check()
    expect(page.locator("#field-medical_certificate-wrapper")).to_be_visible()
    expect(page.locator("#field-gun_permit_copy-wrapper")).to_be_hidden()

    fill_hunting_exam(page)
    assert horizontal_overflow(page) == []
    violations["form with the medical certificate shown"] = axe_violations(page)

    page.get_by_role("button", name=translate("pages.to_confirm", "ja")).click()
    answers = page.locator("#confirmation .answers")
    expect(answers).to_contain_text("山﨑 太郎")
    expect(answers).to_contain_text("わな猟免許、第一種銃猟免許（装薬銃）")
    expect(answers).to_contain_text("県芳賀庁舎")
    for file in HUNTING_FILES.values():
        expect(answers).to_contain_text(file["name"])
    expect(page.locator("#confirmation .fee-total")).to_contain_text(FEE)
    violations["confirmation"] = axe_violations(page)
    screenshot(page, "phone-ja-hunting-confirmation")

    page.get_by_role("button", name=translate("pages.submit", "ja")).click()
    expect(page.locator("#completion")).to_be_visible()
    reference_number = page.locator("#reference-number").inner_text()

    # Payment by card on the simulator's Checkout page.
    page.locator("#status-link").click()
    pay = page.get_by_role("link", name=translate("pages.pay_button", "ja"))
    for _ in range(40):
        if pay.is_visible():
            break
        page.wait_for_timeout(300)
        page.reload()
    expect(pay).to_be_visible()
    expect(page.locator("#status-payment-amount")).to_have_text(FEE)
    status_href = page.url
    pay.click()
    expect(page).to_have_url(re.compile(r"/_local/stripe/checkout/"))
    page.get_by_role("button", name=re.compile("支払う")).click()
    expect(page.locator("[data-payment-state]")).to_be_visible()

    page.goto(status_href)
    reload_until(page, "#status-payment-state", translate("payments.state_paid", "ja"))
    receipt = page.get_by_role("link", name=translate("pages.receipt_link", "ja"))
    expect(receipt).to_be_visible()
    receipt.click()
    expect(page.locator("#receipt-result")).to_be_visible()
    expect(page.locator("#receipt-reference")).to_have_text(reference_number)
    expect(page.locator("#receipt-amount")).to_contain_text("10,400")

    # Approval: staff review, then the division head's decision.
    approver = open_page("desktop")
    for step in (1, 2):
        approver.goto(client.approval_link(reference_number, step))
        approver.get_by_label(translate("pages.decision_approve", "ja")).check()
        approver.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
        expect(approver.locator("h1")).to_have_text(translate("pages.approval_done", "ja"))

    page.goto(status_href)
    reload_until(page, "#status-label", translate("status.completed", "ja"))
    expect(page.locator("#status-label")).to_have_text("完了")

    found = {state: report for state, report in violations.items() if report}
    assert not found, "axe-core violations:\n" + "\n".join(f"{s}:\n{r}" for s, r in found.items())
