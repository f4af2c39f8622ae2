"""Chat widget in Chromium: opening and closing, answers, contacts, suggestions, keyboard use."""

from __future__ import annotations

import json

import pytest
from a11y import axe_violations, focus_indicator
from cook_form import form_url
from madoguchi.i18n import translate
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ANSWERED_QUESTION = "調理師の届出はいつまで？"
UNANSWERABLE_QUESTION = "hello"


@pytest.fixture(scope="module")
def chat_route(client) -> None:
    """Skip when the local stack has no POST /api/chat route (it returns 403 or 404 then)."""
    response = client.post("/api/chat", json={"message": ANSWERED_QUESTION, "locale": "ja"})
    if response.status_code in (403, 404):
        pytest.skip(f"POST /api/chat is not routed on the local stack (HTTP {response.status_code})")
    assert response.status_code == 200, response.text


def open_chat(page: Page) -> None:
    toggle = page.locator("#chat-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#chat-panel")).to_be_visible()
    expect(page.locator("#chat-input")).to_be_focused()


def ask(page: Page, question: str) -> None:
    page.locator("#chat-input").fill(question)
    page.locator("#chat-input").press("Enter")


@pytest.mark.parametrize("path", ["/", form_url("ja"), "/status", "/procedures/no-such-procedure"])
def test_chat_button_on_every_page(open_page, path: str) -> None:
    page = open_page("phone")
    page.goto(path)
    toggle = page.get_by_role("button", name=translate("pages.chat_open", "ja"))
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-controls", "chat-panel")
    expect(page.locator("#chat-panel")).to_be_hidden()


def test_chat_answers_with_source_and_suggestions(open_page, screenshot, chat_route) -> None:
    page = open_page("phone")
    page.goto("/")
    open_chat(page)
    log = page.locator("#chat-log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")

    ask(page, ANSWERED_QUESTION)
    answer = page.locator(".chat-answer").last
    expect(answer).to_contain_text("調理師業務従事者届")
    expect(page.locator(".chat-question").last).to_contain_text(ANSWERED_QUESTION)
    expect(answer.locator(".chat-source a")).to_have_attribute("href", "/procedures/cook-employment-notification")
    expect(answer.locator(".chat-contact")).to_have_count(0)
    suggestions = answer.get_by_role("button")
    assert suggestions.count() >= 1
    assert page.locator(".chat-answer").count() == 1
    screenshot(page, "phone-ja-chat", full_page=False)
    violations = axe_violations(page)
    assert not violations, f"axe-core violations with the chat open:\n{violations}"

    first_suggestion = suggestions.first.inner_text()
    suggestions.first.click()
    expect(page.locator(".chat-question").last).to_have_text(
        translate("pages.chat_you", "ja") + first_suggestion
    )
    expect(page.locator(".chat-answer")).to_have_count(2)

    page.keyboard.press("Escape")
    expect(page.locator("#chat-panel")).to_be_hidden()
    expect(page.locator("#chat-toggle")).to_be_focused()
    expect(page.locator("#chat-toggle")).to_have_attribute("aria-expanded", "false")


def test_chat_shows_contact_when_unanswered(open_page, chat_route) -> None:
    page = open_page("desktop")
    page.goto("/?lang=en")
    open_chat(page)
    ask(page, UNANSWERABLE_QUESTION)
    answer = page.locator(".chat-answer").last
    contact = answer.locator(".chat-contact")
    expect(contact).to_be_visible()
    expect(contact.locator("a[href^='tel:']")).to_have_count(1)
    expect(contact.locator("a[href^='mailto:']")).to_have_count(1)
    expect(contact).to_contain_text(translate("pages.chat_hours", "en"))
    expect(answer.locator(".chat-source")).to_have_count(0)

    page.locator("#chat-close").click()
    expect(page.locator("#chat-panel")).to_be_hidden()
    expect(page.locator("#chat-toggle")).to_be_focused()


def test_chat_by_keyboard(open_page, chat_route) -> None:
    page = open_page("desktop")
    page.goto(form_url("en"))
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = focus_indicator(page)
        if focused["id"] == "chat-toggle":
            break
    assert focused["id"] == "chat-toggle", "Tab never reached the chat button"
    assert focused["focusVisible"], f"focus is not :focus-visible on {focused}"
    assert focused["outlineStyle"] != "none", f"no focus outline on {focused}"
    page.keyboard.press("Enter")
    expect(page.locator("#chat-input")).to_be_focused()
    page.keyboard.type("cook licence fee")
    page.keyboard.press("Enter")
    answer = page.locator(".chat-answer").last
    # Links to this site's pages keep the English locale.
    expect(answer.locator(".chat-source a")).to_have_attribute("href", "/procedures/cook-licence?lang=en")
    page.keyboard.press("Escape")
    expect(page.locator("#chat-toggle")).to_be_focused()


def test_chat_rejects_empty_question(open_page) -> None:
    page = open_page("phone")
    page.goto("/")
    open_chat(page)
    page.locator("#chat-input").press("Enter")
    expect(page.locator("#chat-input-error")).to_be_visible()
    expect(page.locator("#chat-input")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".chat-question")).to_have_count(0)


def test_chat_drops_unsafe_links_and_reports_errors(open_page) -> None:
    """The widget renders a canned answer whose source URL is a script, then a server error."""
    page = open_page("phone")
    canned = {
        "answered": True,
        "text": "<b>not markup</b>",
        "locale": "ja",
        "confidence": 0.9,
        "source": {"kind": "faq", "id": "x", "title": "危険なリンク", "url": "javascript:alert(1)", "facet": None},
        "contact": None,
        "suggestions": [],
    }
    replies = [
        {"status": 200, "content_type": "application/json", "body": json.dumps(canned)},
        {"status": 500, "content_type": "application/json", "body": "{}"},
    ]
    requests: list[dict] = []

    def fulfil(route) -> None:
        requests.append(route.request.post_data_json)
        route.fulfill(**replies[len(requests) - 1])

    page.route("**/api/chat", fulfil)
    page.goto("/")
    open_chat(page)

    ask(page, "質問です")
    answer = page.locator(".chat-answer").last
    expect(answer.locator(".chat-text")).to_have_text("<b>not markup</b>")
    expect(answer.locator("b")).to_have_count(0)
    expect(answer.locator("a")).to_have_count(0)
    assert requests[0] == {"message": "質問です", "locale": "ja"}

    ask(page, "もう一度")
    expect(page.locator(".chat-error")).to_have_text(translate("pages.chat_error", "ja"))
    expect(page.locator("#chat-input")).to_be_focused()
