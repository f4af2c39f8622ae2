"""The cook licence from payment to a verified notice, through all three approval levels
with one return for correction, in Chromium.

担当 approves, 係長 returns the application, the resident corrects and resubmits from
the status page, all three levels approve the new version, and the notice PDF
downloaded from the status page verifies on the public verification page.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from a11y import axe_violations
from feature_flows import reload_until, seeded_cook_licence, status_url
from madoguchi.audit.chain import verify_chain
from madoguchi.i18n import translate
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.integration.test_approval_routes import audit

pytestmark = [pytest.mark.browser, pytest.mark.integration]

APPROVAL_LINK = re.compile(r"https?://\S+/approvals/[A-Za-z0-9_-]+")
VERIFICATION_CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
RETURN_COMMENT = "電話番号が勤務先のものです。日中に連絡の取れる番号に直してください。"
CORRECTED_PHONE = "090-1234-5678"


def new_step_link(client: Any, reference_number: str, step: int, seen: set[str], timeout: float = 20) -> str:
    """Wait for the approval request of route step ``step`` whose link is not in ``seen``.

    Requests of the first version stay in the outbox after a resubmission, so the step
    number alone does not tell which version a link belongs to.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in client.outbox():
            if "承認依頼" not in mail["subject"] or reference_number not in mail["subject"]:
                continue
            if f"（{step} / 3）" not in mail["text"]:
                continue
            link = APPROVAL_LINK.search(mail["text"]).group(0)
            if link not in seen:
                seen.add(link)
                return link
        time.sleep(0.1)
    raise AssertionError(f"no new approval request for step {step} of {reference_number}")


def decide_in_browser(page: Page, link: str, decision: str, comment: str = "") -> None:
    page.goto(link)
    page.get_by_label(translate(f"pages.decision_{decision}", "ja")).check()
    if comment:
        page.locator("#comment").fill(comment)
    page.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
    expect(page.locator("h1")).to_have_text(translate("pages.approval_done", "ja"))


def test_return_then_three_approvals_notice(open_page, client, screenshot) -> None:
    application = seeded_cook_licence(client)
    reference_number = application["reference_number"]
    client.pay_fee(reference_number, application["access_token"])
    seen: set[str] = set()
    violations: dict[str, str] = {}
    approver = open_page("desktop")
    resident = open_page("phone")

    # 担当 approves, 係長 returns the application with a comment.
    decide_in_browser(approver, new_step_link(client, reference_number, 1, seen), "approve")
    decide_in_browser(
        approver, new_step_link(client, reference_number, 2, seen), "return", RETURN_COMMENT
    )

    # The resident reads the comment on the status page and corrects the phone number.
    resident.goto(status_url(application))
    reload_until(resident, "#status-label", translate("status.returned", "ja"))
    expect(resident.locator("#status-history")).to_contain_text(RETURN_COMMENT)
    violations["status returned"] = axe_violations(resident)
    resident.get_by_role("link", name=translate("pages.resubmit_button", "ja")).click()
    expect(resident.locator("#resubmit-reference")).to_have_text(reference_number)
    expect(resident.locator("#resubmit-comment-text")).to_have_text(RETURN_COMMENT)
    phone = resident.locator("#field-phone")
    expect(phone).not_to_have_value("")
    previous_phone = phone.input_value()
    phone.fill(CORRECTED_PHONE)
    resident.get_by_role("button", name=translate("pages.to_confirm", "ja")).click()
    expect(resident.locator("#confirmation .answers")).to_contain_text(CORRECTED_PHONE)
    resident.get_by_role("button", name=translate("pages.submit", "ja")).click()
    expect(resident.locator("#reference-number")).to_have_text(reference_number)
    violations["resubmission completion"] = axe_violations(resident)

    # The new version starts again at 担当, whose page shows the change; all three approve.
    first = new_step_link(client, reference_number, 1, seen)
    approver.goto(first)
    change = approver.locator("table.changes tr[data-field='phone']")
    expect(change.locator("del")).to_have_text(previous_phone)
    expect(change.locator("ins")).to_have_text(CORRECTED_PHONE)
    violations["approval with changes"] = axe_violations(approver)
    decide_in_browser(approver, first, "approve")
    for step in (2, 3):
        decide_in_browser(approver, new_step_link(client, reference_number, step, seen), "approve")

    # The status page offers the licence; the downloaded PDF verifies publicly.
    resident.goto(status_url(application))
    reload_until(resident, "#status-label", translate("status.completed", "ja"))
    reload_until(resident, "#status-notice-title", "調理師免許")
    violations["status with notice"] = axe_violations(resident)
    screenshot(resident, "phone-ja-status-licence-after-return")
    with resident.expect_download() as download_info:
        resident.get_by_role("button", name=translate("pages.notice_download", "ja")).click()
    pdf = download_info.value.path().read_bytes()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "髙橋" in text
    assert reference_number in text
    code = VERIFICATION_CODE.search(text).group(0)

    resident.goto("/notices/verify")
    resident.locator("#verification-code").fill(code)
    resident.locator("#notice-file").set_input_files(
        {"name": "調理師免許.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    resident.get_by_role("button", name=translate("notices.verify_button", "ja")).click()
    expect(resident.locator("#verify-result-heading")).to_have_attribute("data-outcome", "valid_file")
    expect(resident.locator(".reference-number")).to_have_text(reference_number)
    violations["notice verified"] = axe_violations(resident)

    # The audit trail has both versions' decisions and an intact chain.
    trail = audit(client, reference_number)
    assert verify_chain(trail).valid
    decisions = [
        (item["entry"].get("event"), item["entry"]["answers_version"]) for item in trail["entries"]
    ]
    assert ("returned", 1) in decisions
    assert ("resubmitted", 2) in decisions
    assert decisions[-1][1] == 2

    found = {state: report for state, report in violations.items() if report}
    assert not found, "axe-core violations:\n" + "\n".join(f"{s}:\n{r}" for s, r in found.items())
