"""Accessibility in Chromium: axe-core on every page and state, errors, keyboard, focus, zoom."""

from __future__ import annotations

import re

import pytest
from a11y import axe_violations, focus_indicator, horizontal_overflow
from cook_form import POSTAL_CODE, TYPED_ANSWERS, fill_form, form_url
from madoguchi.i18n import translate
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# The local mail outbox (/_local/outbox) is a development page of the local stack only.


def submit_empty_form(page: Page, locale: str) -> None:
    page.get_by_role("button", name=translate("pages.to_confirm", locale)).click()
    expect(page.locator("#error-summary")).to_be_visible()


def go_to_confirmation(page: Page, locale: str) -> None:
    fill_form(page)
    page.get_by_role("button", name=translate("pages.to_confirm", locale)).click()
    expect(page.locator("#confirmation")).to_be_visible()


def send_application(page: Page, locale: str) -> None:
    page.get_by_role("button", name=translate("pages.submit", locale)).click()
    expect(page.locator("#completion")).to_be_visible()


def open_approval_page(page: Page, client, status_url: str) -> str:
    """Open the approval page of the application behind ``status_url``; return the link."""
    reference_number = status_url.split("/status/")[1].split("?")[0]
    link = client.approval_link(reference_number)
    page.goto(link)
    expect(page.locator(".reference-number")).to_have_text(reference_number)
    return link


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_resident_pages_pass_axe(open_page, locale: str) -> None:
    page = open_page("phone")
    violations: dict[str, str] = {}

    page.goto("/" + ("?lang=en" if locale == "en" else ""))
    violations["home"] = axe_violations(page)

    page.goto(form_url(locale))
    violations["empty form"] = axe_violations(page)

    submit_empty_form(page, locale)
    violations["form with errors"] = axe_violations(page)

    go_to_confirmation(page, locale)
    violations["confirmation"] = axe_violations(page)

    send_application(page, locale)
    violations["completion"] = axe_violations(page)

    page.locator("#status-link").click()
    expect(page.locator("#status-result")).to_be_visible()
    violations["status"] = axe_violations(page)

    page.goto("/status" + ("?lang=en" if locale == "en" else ""))
    violations["status lookup"] = axe_violations(page)

    page.goto("/status/2026-0000-0000?lang=" + locale + "#token=wrong")
    expect(page.locator("#status-error")).to_be_visible()
    violations["status not found"] = axe_violations(page)

    page.goto(form_url(locale, "hunting-licence-exam"))
    violations["closed procedure form"] = axe_violations(page)

    page.goto(form_url(locale, "cook-licence"))
    violations["cook licence form"] = axe_violations(page)

    response = page.goto("/procedures/no-such-procedure" + ("?lang=en" if locale == "en" else ""))
    assert response is not None and response.status == 404
    violations["error 404"] = axe_violations(page)

    found = {state: report for state, report in violations.items() if report}
    assert not found, "axe-core violations:\n" + "\n".join(f"{s}:\n{r}" for s, r in found.items())


def test_approval_pages_pass_axe(open_page, client) -> None:
    page = open_page("desktop")
    violations: dict[str, str] = {}
    page.goto(form_url("ja"))
    go_to_confirmation(page, "ja")
    send_application(page, "ja")
    status_url = page.locator("#status-link").get_attribute("href")

    open_approval_page(page, client, status_url)
    violations["approval"] = axe_violations(page)

    page.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
    expect(page.locator(".error-summary")).to_contain_text(translate("pages.approval_invalid", "ja"))
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("fieldset.choice-group")).to_have_attribute("aria-describedby", "approval-error")
    violations["approval without a decision"] = axe_violations(page)

    page.get_by_label(translate("pages.decision_reject", "ja")).check()
    page.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
    expect(page.locator(".error-summary")).to_contain_text(translate("pages.comment_required", "ja"))
    expect(page.locator("#comment")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#comment")).to_have_attribute("aria-describedby", "approval-error")
    violations["rejection without a comment"] = axe_violations(page)

    page.get_by_label(translate("pages.decision_approve", "ja")).check()
    page.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
    expect(page.locator("h1")).to_have_text(translate("pages.approval_done", "ja"))
    violations["approval done"] = axe_violations(page)

    page.go_back()
    page.reload()
    expect(page.locator("h1")).to_have_text(translate("pages.approval_closed", "ja"))
    violations["approval closed"] = axe_violations(page)

    found = {state: report for state, report in violations.items() if report}
    assert not found, "axe-core violations:\n" + "\n".join(f"{s}:\n{r}" for s, r in found.items())


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_failed_submit_focuses_error_summary(open_page, locale: str) -> None:
    page = open_page("phone")
    page.goto(form_url(locale))
    page.locator("#field-email").fill("not-an-address")
    submit_empty_form(page, locale)

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("heading")).to_have_text(translate("pages.error_summary_title", locale))
    links = summary.locator("a")
    assert links.count() >= len(TYPED_ANSWERS), "every missing required field is listed"

    invalid = page.locator(".field.field-invalid")
    assert invalid.count() == links.count()
    for index in range(invalid.count()):
        wrapper = invalid.nth(index)
        field_id = wrapper.get_attribute("data-field")
        message = wrapper.locator(".error-message")
        expect(message).to_be_visible()
        expect(message).not_to_be_empty()
        message_id = message.get_attribute("id")
        for control in wrapper.locator("input, textarea").all():
            assert control.get_attribute("aria-invalid") == "true", field_id
        described = wrapper.locator(f"[aria-describedby~='{message_id}']")
        assert described.count() >= 1, f"no control of {field_id} is described by its error"

    email_error = page.locator("#field-email-error")
    expect(email_error).to_be_visible()
    expect(page.locator("#field-email")).to_have_attribute("aria-describedby", re.compile("field-email-error"))

    links.first.click()
    first_invalid = invalid.first.locator("input, textarea").first
    expect(first_invalid).to_be_focused()

    # Correcting the field and submitting again clears its error.
    page.locator("#field-email").fill("takako.yoshida@example.jp")
    submit_empty_form(page, locale)
    expect(page.locator("#field-email")).not_to_have_attribute("aria-invalid", "true")
    expect(email_error).to_be_hidden()


def press_tab_until(page: Page, predicate, limit: int = 40) -> dict:
    """Press Tab until ``predicate(focused)`` is true; check each stop shows a focus outline."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = focus_indicator(page)
        assert focused["focusVisible"], f"focus is not :focus-visible on {focused}"
        assert focused["outlineStyle"] != "none", f"no focus outline on {focused}"
        assert focused["outlineWidth"] >= 2, f"focus outline thinner than 2px on {focused}"
        if predicate(focused):
            return focused
    raise AssertionError(f"Tab never reached the expected element; last focused: {focused}")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_keyboard_only_journey(open_page, viewport: str) -> None:
    page = open_page(viewport)
    page.goto(form_url("ja"))

    first = press_tab_until(page, lambda f: True)
    assert first["text"] == translate("pages.skip_to_content", "ja"), "the first Tab stop is the skip link"
    page.keyboard.press("Enter")
    for field_id, value in TYPED_ANSWERS.items():
        if field_id == "workplace_name":
            press_tab_until(page, lambda f: f["name"] == "workplace_type")
            page.keyboard.press("Space")  # selects the first option, 飲食店
        press_tab_until(page, lambda f, field_id=field_id: f["id"] == f"field-{field_id}")
        page.keyboard.type(value)
        if field_id == "birth_date":
            press_tab_until(page, lambda f: f["id"] == "field-postal_code")
            page.keyboard.type(POSTAL_CODE)
            press_tab_until(page, lambda f: "postal-lookup" in f["text"] or f["tag"] == "button")
            page.keyboard.press("Enter")
            expect(page.locator("#field-address")).to_be_focused()
            expect(page.locator("#field-address")).to_have_value(re.compile("宇都宮市"))
    press_tab_until(page, lambda f: f["name"] == "declaration")
    page.keyboard.press("Space")
    press_tab_until(page, lambda f: f["text"] == translate("pages.to_confirm", "ja"))
    page.keyboard.press("Enter")

    expect(page.locator("#confirmation-heading")).to_be_focused()
    press_tab_until(page, lambda f: f["id"] == "send-application")
    page.keyboard.press("Enter")

    expect(page.locator("#completion-heading")).to_be_focused()
    press_tab_until(page, lambda f: f["id"] == "status-link")
    page.keyboard.press("Enter")
    expect(page.locator("#status-result")).to_be_visible()
    expect(page.locator("#status-label")).not_to_be_empty()


def test_approval_by_keyboard(open_page, client) -> None:
    page = open_page("desktop")
    page.goto(form_url("ja"))
    go_to_confirmation(page, "ja")
    send_application(page, "ja")
    open_approval_page(page, client, page.locator("#status-link").get_attribute("href"))

    press_tab_until(page, lambda f: f["name"] == "decision")
    page.keyboard.press("Space")
    press_tab_until(page, lambda f: f["text"] == translate("pages.approval_submit", "ja"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(translate("pages.approval_done", "ja"))


# WCAG 1.4.4 (text resized to 200%) on a phone, and 1.4.10 (reflow at 320 CSS pixels,
# which is 1280 pixels zoomed to 400%).
LAYOUTS = {
    "phone-text-200": {"font_size": "200%"},
    "reflow-320": {"width": 320, "font_size": "100%"},
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_no_horizontal_overflow_when_zoomed(open_page, client, layout: str) -> None:
    settings = LAYOUTS[layout]
    options = {"bypass_csp": True}  # lets the test add its own zoom style to the page
    if "width" in settings:
        options["viewport"] = {"width": settings["width"], "height": 640}
    page = open_page("phone", **options)
    zoom_css = f"html {{ font-size: {settings['font_size']} !important; }}"
    overflow: dict[str, list[str]] = {}

    def check(state: str) -> None:
        page.add_style_tag(content=zoom_css)
        page.wait_for_timeout(50)
        found = horizontal_overflow(page)
        if found:
            overflow[state] = found[:8]

    page.goto("/")
    check("home")
    page.goto(form_url("ja"))
    check("empty form")
    submit_empty_form(page, "ja")
    check("form with errors")
    go_to_confirmation(page, "ja")
    check("confirmation")
    send_application(page, "ja")
    check("completion")
    status_url = page.locator("#status-link").get_attribute("href")
    page.locator("#status-link").click()
    expect(page.locator("#status-result")).to_be_visible()
    check("status")
    page.goto(form_url("en", "hunting-licence-exam"))
    check("hunting exam form (en)")
    open_approval_page(page, client, status_url)
    check("approval")
    page.goto("/procedures/no-such-procedure")
    check("error 404")
    page.locator("#chat-toggle").click()
    expect(page.locator("#chat-panel")).to_be_visible()
    check("chat panel open")

    assert not overflow, f"content wider than the viewport: {overflow}"
