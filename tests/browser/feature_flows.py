"""Steps shared by the feature journeys: other local origins, the My Number card check,
the cook licence form, applications seeded over HTTP and pages that change asynchronously."""

from __future__ import annotations

import re
import time
from typing import Any

from madoguchi.i18n import translate
from playwright.sync_api import Page, expect

from tests import attachment_samples as samples
from tests.integration.identity_flow import cook_licence_uploads, verify_identity
from tests.integration.test_application_journey import example_answers

COOK_LICENCE = "cook-licence"
COOK_LICENCE_FILE_FIELDS = ("qualification_certificate", "family_register", "medical_certificate")

# Answers the My Number card check does not fill (it fills name, birth date and address).
COOK_LICENCE_TYPED = {
    "full_name_kana": "タカハシ サキコ",
    "registered_domicile": "栃木県",
    "postal_code": "320-8501",
    "phone": "028-623-3111",
    "exam_pass_date": "令和6年11月10日",
    "exam_prefecture": "栃木県",
}


def allow_origin(page: Page, origin: str) -> None:
    """Let the page reach another origin of the local stack (identity provider, local AWS).

    Context routes registered later run first, so this overrides the suite's block.
    """
    page.context.route(f"{origin}/**", lambda route: route.continue_())


def provider_origin(local_stack: Any) -> str:
    return local_stack.identity_provider.provider.issuer


def status_url(application: dict[str, Any], locale: str = "ja") -> str:
    return (
        f"/status/{application['reference_number']}?lang={locale}"
        f"#token={application['access_token']}"
    )


def verify_on_provider(page: Page, person_name: str, locale: str = "ja") -> None:
    """Click the form's identity button, pick a test person at the local provider and
    wait until the form shows the prefilled, verified fields."""
    page.get_by_role("link", name=translate("pages.identity_verify_button", locale)).click()
    expect(page.locator("h1")).to_contain_text("Local identity provider")
    page.get_by_role("button", name=re.compile("^" + re.escape(person_name))).click()
    expect(page.locator("#identity-status")).to_contain_text(translate("pages.identity_prefilled", locale))


def fill_cook_licence(page: Page) -> None:
    """Fill what the My Number card check left empty, and upload the three documents."""
    page.locator("#field-wants_former_name-wrapper input[value='no']").check()
    page.locator("#field-qualification_route-wrapper input[value='exam']").check()
    for field_id, value in COOK_LICENCE_TYPED.items():
        page.locator(f"#field-{field_id}").fill(value)
    page.locator("#field-email").fill(f"sakiko-{time.time_ns()}@example.jp")
    for field_id in COOK_LICENCE_FILE_FIELDS:
        page.locator(f"#field-{field_id}-wrapper input[type='file']").set_input_files(
            {"name": f"{field_id}.pdf", "mimeType": "application/pdf", "buffer": samples.pdf()}
        )
    for field_id in COOK_LICENCE_FILE_FIELDS:
        wrapper = page.locator(f"#field-{field_id}-wrapper")
        expect(wrapper.locator(".upload-item")).to_have_attribute("data-state", "accepted", timeout=15_000)
    page.locator("#field-no_disqualification-wrapper input[type=checkbox]").check()


def seeded_cook_licence(client: Any, person: str = "takahashi", locale: str = "ja", **changes: Any) -> dict:
    """Submit a cook licence over HTTP with a verified identity.

    Returns the created application (``reference_number``, ``access_token``).
    """
    answers = {**example_answers(client, COOK_LICENCE, **changes), **cook_licence_uploads(client)}
    response = client.post(
        "/api/applications",
        json={
            "procedure_id": COOK_LICENCE,
            "answers": answers,
            "locale": locale,
            "identity_session_id": verify_identity(client, COOK_LICENCE, person),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def reload_until(page: Page, locator_css: str, expected: str, attempts: int = 40) -> None:
    """Reload until the element's text contains ``expected``, because the workflow runs asynchronously."""
    for _ in range(attempts):
        page.reload()
        target = page.locator(locator_css)
        expect(target).to_be_attached()
        if expected in (target.text_content() or ""):
            return
        page.wait_for_timeout(300)
    expect(page.locator(locator_css)).to_contain_text(expected)


def newest_approval_link(client: Any, reference_number: str, other_than: str = "", timeout: float = 15) -> str:
    """Return an approval link of the application other than ``other_than``."""
    pattern = re.compile(r"https?://\S+/approvals/[A-Za-z0-9_-]+")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in reversed(client.outbox()):
            if "承認依頼" in mail["subject"] and reference_number in mail["subject"]:
                link = pattern.search(mail["text"]).group(0)
                if link != other_than:
                    return link
        time.sleep(0.1)
    raise AssertionError(f"no new approval link for {reference_number}")
