"""Resident and approver journeys in Chromium, on phone and desktop, in Japanese and English."""

from __future__ import annotations

import re

import pytest
from cook_form import PROCEDURE_ID, fill_form, form_url
from madoguchi.i18n import translate
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

OTHER_PROCEDURES = ["cook-licence", "hunting-licence-exam"]


def apply_for_cook_notification(page: Page, locale: str, screenshot, prefix: str) -> str:
    """Go from the home page to the completion screen; return the status link's URL."""
    page.goto("/" + ("?lang=en" if locale == "en" else ""))
    expect(page.locator("html")).to_have_attribute("lang", locale)
    screenshot(page, f"{prefix}home")
    link = page.locator(f"a[href^='/procedures/{PROCEDURE_ID}']")
    title = link.inner_text()
    link.click()
    expect(page).to_have_url(re.compile(rf"/procedures/{PROCEDURE_ID}\?lang={locale}$"))
    expect(page.locator("h1")).to_have_text(title)

    fill_form(page)
    screenshot(page, f"{prefix}form")
    page.get_by_role("button", name=translate("pages.to_confirm", locale)).click()

    heading = page.get_by_role("heading", name=translate("pages.confirm_heading", locale))
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()
    answers = page.locator("#confirmation .answers")
    expect(answers).to_contain_text("𠮷田 髙子")
    expect(answers).to_contain_text("宇都宮市")
    screenshot(page, f"{prefix}confirmation")
    page.get_by_role("button", name=translate("pages.submit", locale)).click()

    completion = page.get_by_role("heading", name=translate("pages.complete_heading", locale))
    expect(completion).to_be_visible()
    expect(completion).to_be_focused()
    expect(page.locator("#completion")).to_contain_text(translate("pages.reference_number", locale))
    expect(page.locator("#reference-number")).not_to_be_empty()
    screenshot(page, f"{prefix}completion")
    return page.locator("#status-link").get_attribute("href")


def approve_from_outbox(page: Page, reference_number: str, screenshot, prefix: str) -> None:
    """Open the approval e-mail's link on the local outbox page and approve the application."""
    # The outbox page is static, so it is reloaded until the workflow has sent the request.
    mail = page.locator("article", has_text=reference_number).filter(has_text="承認依頼").first
    for _ in range(60):
        page.goto("/_local/outbox")
        if mail.count():
            break
        page.wait_for_timeout(250)
    expect(mail).to_be_visible()
    mail.locator("a[href*='/approvals/']").first.click()

    expect(page.locator("h1")).to_contain_text(translate("pages.approval_heading", "ja"))
    expect(page.locator(".reference-number")).to_have_text(reference_number)
    screenshot(page, f"{prefix}approval")
    page.get_by_label(translate("pages.decision_approve", "ja")).check()
    page.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
    expect(page.locator("h1")).to_have_text(translate("pages.approval_done", "ja"))
    screenshot(page, f"{prefix}approval-done")


def wait_for_status(page: Page, status_url: str, status: str, locale: str) -> None:
    """Open the status page until it shows ``status``; the workflow finishes asynchronously."""
    label = translate(f"status.{status}", locale)
    page.goto(status_url)
    for _ in range(30):
        # A goto to the same URL only changes the fragment, so reload to fetch the status again.
        page.reload()
        status_label = page.locator("#status-label")
        expect(status_label).not_to_be_empty()
        if status_label.inner_text() == label:
            return
        page.wait_for_timeout(300)
    expect(page.locator("#status-label")).to_have_text(label)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["ja", "en"])
def test_resident_and_approver_journey(open_page, screenshot, viewport: str, locale: str) -> None:
    page = open_page(viewport)
    # Screenshots for the READMEs: every screen in Japanese on a phone, and the English form.
    screens = {"ja": None, "en": {"form"}}[locale] if viewport == "phone" else set()
    prefix = f"phone-{locale}-"

    def shots(page: Page, name: str) -> None:
        if screens is None or name.removeprefix(prefix) in screens:
            screenshot(page, name)

    status_url = apply_for_cook_notification(page, locale, shots, prefix)
    assert status_url is not None
    assert re.fullmatch(r"/status/[^?#]+\?lang=" + locale + r"#token=.+", status_url), status_url
    reference_number = page.locator("#reference-number").inner_text()
    title = page.locator("h1").inner_text()

    page.get_by_role("link", name=translate("pages.status_link", locale)).click()
    expect(page.locator("#status-reference")).to_have_text(reference_number)
    expect(page.locator("#status-procedure")).to_have_text(title)
    expect(page.locator("#status-label")).to_have_text(
        re.compile(f"{translate('status.submitted', locale)}|{translate('status.under_review', locale)}")
    )
    expect(page.locator("#status-form")).to_be_hidden()
    shots(page, f"{prefix}status")

    approval_page = open_page(viewport)
    approve_from_outbox(approval_page, reference_number, shots, prefix)

    wait_for_status(page, status_url, "completed", locale)
    history = page.locator("#status-history li")
    expect(history.first).to_be_visible()
    shots(page, f"{prefix}status-completed")


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("procedure_id", OTHER_PROCEDURES)
def test_other_procedure_forms_render(open_page, procedure_id: str, locale: str) -> None:
    page = open_page("phone")
    response = page.goto(form_url(locale, procedure_id))
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator("h1")).not_to_be_empty()
    expect(page.locator("#application-form .section").first).to_be_visible()
    submit = page.get_by_role("button", name=translate("pages.to_confirm", locale))
    closed_notice = page.locator(".notice-warning", has_text=translate("pages.window_closed", locale))
    if procedure_id == "hunting-licence-exam":
        expect(closed_notice).to_be_visible()
        expect(submit).to_be_disabled()
    else:
        expect(closed_notice).to_have_count(0)
        expect(submit).to_be_enabled()
