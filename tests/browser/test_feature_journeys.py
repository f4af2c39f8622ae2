"""Identity, payment, approval, correction, notice, staff and dashboard journeys in Chromium.

Each journey runs on a phone viewport with axe-core (WCAG 2.0/2.1 A and AA) on every
new page and state. Applications that only set the scene are submitted over HTTP.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from a11y import axe_violations, focus_indicator, horizontal_overflow
from feature_flows import (
    COOK_LICENCE,
    allow_origin,
    fill_cook_licence,
    newest_approval_link,
    provider_origin,
    reload_until,
    seeded_cook_licence,
    status_url,
    verify_on_provider,
)
from madoguchi.i18n import translate
from playwright.sync_api import Page, expect
from pypdf import PdfReader, PdfWriter

from tests.integration.test_application_journey import approval_form, decide, submitted

pytestmark = [pytest.mark.browser, pytest.mark.integration]

VERIFICATION_CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def assert_no_violations(violations: dict[str, str]) -> None:
    found = {state: report for state, report in violations.items() if report}
    assert not found, "axe-core violations:\n" + "\n".join(f"{s}:\n{r}" for s, r in found.items())


def document_overflow(page: Page) -> int:
    """Return how many pixels the document is wider than the viewport (0 when it fits).

    Unlike horizontal_overflow, this allows a wide table inside its own scroll container.
    """
    page.wait_for_load_state("load")
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def approve_in_browser(page: Page, link: str) -> None:
    page.goto(link)
    page.get_by_label(translate("pages.decision_approve", "ja")).check()
    page.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
    expect(page.locator("h1")).to_have_text(translate("pages.approval_done", "ja"))


# --- Cook licence: identity check, documents, payment, approval and notice ------------


def test_cook_licence_identity_payment_notice(open_page, client, local_stack, screenshot) -> None:
    page = open_page("phone")
    allow_origin(page, provider_origin(local_stack))
    allow_origin(page, local_stack.aws_endpoint)
    violations: dict[str, str] = {}

    page.goto(f"/procedures/{COOK_LICENCE}")
    page.get_by_role("link", name=translate("pages.identity_verify_button", "ja")).click()
    expect(page.get_by_role("button", name=re.compile("^髙橋 﨑子"))).to_be_visible()
    screenshot(page, "phone-ja-identity-provider")
    page.go_back()
    verify_on_provider(page, "髙橋 﨑子")
    expect(page).to_have_url(re.compile(rf"/procedures/{COOK_LICENCE}$"))
    expect(page.locator("#field-full_name")).to_have_value("髙橋 﨑子")
    expect(page.locator("#field-birth_date")).not_to_have_value("")
    expect(page.locator("#field-address")).to_have_value(re.compile("宇都宮市"))
    badges = page.locator(".identity-verified", has_text=translate("pages.identity_verified_badge", "ja"))
    expect(badges.first).to_be_visible()
    assert badges.count() >= 3
    expect(page.locator("#identity-start")).to_be_hidden()
    violations["form after the identity check"] = axe_violations(page)

    fill_cook_licence(page)
    violations["form with uploaded documents"] = axe_violations(page)
    assert horizontal_overflow(page) == []
    page.get_by_role("button", name=translate("pages.to_confirm", "ja")).click()
    expect(page.locator("#confirmation .answers")).to_contain_text("髙橋 﨑子")
    violations["confirmation"] = axe_violations(page)
    page.get_by_role("button", name=translate("pages.submit", "ja")).click()
    expect(page.locator("#completion")).to_be_visible()
    reference_number = page.locator("#reference-number").inner_text()
    violations["completion"] = axe_violations(page)

    # Payment: the status page opens the simulator's Checkout page.
    page.locator("#status-link").click()
    pay = page.get_by_role("link", name=translate("pages.pay_button", "ja"))
    for _ in range(40):
        if pay.is_visible():
            break
        page.wait_for_timeout(300)
        page.reload()
    expect(pay).to_be_visible()
    expect(page.locator("#status-payment-amount")).to_have_text("5,600円")
    expect(page.locator("#status-payment-state")).to_have_text(translate("payments.state_pending", "ja"))
    violations["status awaiting payment"] = axe_violations(page)
    screenshot(page, "phone-ja-payment")
    status_href = page.url
    pay.click()
    expect(page).to_have_url(re.compile(r"/_local/stripe/checkout/"))
    page.get_by_role("button", name=re.compile("支払う")).click()
    expect(page.locator("[data-payment-state]")).to_be_visible()
    # The page reloads itself until the webhook has confirmed the payment.
    expect(page.locator("[data-payment-state]")).to_have_attribute("data-payment-state", "paid", timeout=20_000)
    expect(page.get_by_role("link", name=translate("payments.return_reload", "ja"))).to_have_attribute(
        "href", re.compile(r"session_id=")
    )
    violations["payment return page"] = axe_violations(page)

    page.goto(status_href)
    reload_until(page, "#status-payment-state", translate("payments.state_paid", "ja"))
    receipt = page.get_by_role("link", name=translate("pages.receipt_link", "ja"))
    expect(receipt).to_be_visible()
    violations["status paid"] = axe_violations(page)
    receipt.click()
    expect(page.locator("#receipt-result")).to_be_visible()
    expect(page.locator("#receipt-reference")).to_have_text(reference_number)
    expect(page.locator("#receipt-amount")).to_contain_text("5,600")
    expect(page.locator("#receipt-payments .receipt-paid-at")).not_to_be_empty()
    assert horizontal_overflow(page) == []
    violations["receipt"] = axe_violations(page)
    screenshot(page, "phone-ja-receipt")

    # Approval: the first step shows the identity match; all three steps approve.
    approver = open_page("desktop")
    approver.goto(client.approval_link(reference_number, 1))
    identity = approver.locator(".identity-check")
    expect(identity.locator(".identity-match")).to_have_text(translate("pages.identity_match_matched", "ja"))
    expect(identity.locator(".identity-differences")).to_have_count(0)
    violations["approval with identity matched"] = axe_violations(approver)
    for step in (1, 2, 3):
        approve_in_browser(approver, client.approval_link(reference_number, step))

    page.goto(status_href)
    reload_until(page, "#status-label", translate("status.completed", "ja"))
    reload_until(page, "#status-notice-title", "調理師免許")
    violations["status with notice"] = axe_violations(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name=translate("pages.notice_download", "ja")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    assert download.path().read_bytes()[:5] == b"%PDF-"

    assert_no_violations(violations)


def test_card_declined_shows_message(open_page, client) -> None:
    application = seeded_cook_licence(client, locale="en")
    client.wait_for_status(application["reference_number"], application["access_token"], "awaiting_payment")
    page = open_page("phone")
    page.goto(status_url(application, "en"))
    page.get_by_role("link", name=translate("pages.pay_button", "en")).click()

    page.get_by_label(re.compile("declined", re.IGNORECASE)).check()
    page.get_by_role("button", name=re.compile("Pay")).click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("カードが拒否されました")
    expect(alert).to_contain_text(re.compile("declined", re.IGNORECASE))
    status = client.status(application["reference_number"], application["access_token"])
    assert status["status"] == "awaiting_payment"
    assert status["payment"]["state"] != "paid"


def eligibility_link(client: Any, reference_number: str) -> str:
    """Return the link of the eligibility review before payment, e-mailed to the first step's approver."""
    message = client.wait_for_mail(
        lambda m: "受付確認依頼" in m["subject"] and reference_number in m["subject"]
    )
    return re.search(r"https?://\S+/approvals/[A-Za-z0-9_-]+", message["text"]).group(0)


def test_identity_mismatch_shows_differences(open_page, client) -> None:
    # Typed as 高橋 花子 but verified as 髙橋 﨑子: the given names differ, so the
    # eligibility review before payment shows the differences.
    application = seeded_cook_licence(client, full_name="高橋 花子")
    client.wait_for_status(application["reference_number"], application["access_token"], "eligibility_review")
    page = open_page("phone")

    page.goto(eligibility_link(client, application["reference_number"]))

    identity = page.locator(".identity-check")
    expect(identity.locator(".identity-match")).to_have_text(translate("pages.identity_match_mismatched", "ja"))
    differences = identity.locator("table.identity-differences")
    expect(differences.locator("caption")).to_have_text(translate("pages.approval_identity_differences", "ja"))
    name_row = differences.locator("tbody tr", has_text="高橋 花子")
    expect(name_row).to_have_count(1)
    expect(name_row.locator("td").nth(1)).to_have_text("髙橋 﨑子")
    assert_no_violations({"approval with identity mismatch": axe_violations(page)})


def test_non_resident_eligibility_review(open_page, client, screenshot) -> None:
    # 佐藤 一郎 lives in Tokyo; the cook licence is for residents of the prefecture only.
    application = seeded_cook_licence(
        client, person="non-resident", full_name="佐藤 一郎", birth_date="1979-09-09",
        postal_code="100-0014", address="東京都千代田区永田町1-7-1",
    )
    reference_number = application["reference_number"]
    violations: dict[str, str] = {}

    resident = open_page("phone")
    resident.goto(status_url(application))
    reload_until(resident, "#status-label", translate("status.eligibility_review", "ja"))
    expect(resident.get_by_role("link", name=translate("pages.pay_button", "ja"))).to_have_count(0)
    violations["status during the eligibility review"] = axe_violations(resident)

    approver = open_page("desktop")
    approver.goto(eligibility_link(client, reference_number))
    heading = translate("approvals.eligibility_title", "ja")
    expect(approver.locator("h1")).to_have_text(f"{heading}：調理師免許の新規申請")
    expect(approver.locator(".eligibility-lead")).to_have_text(translate("pages.eligibility_lead", "ja"))
    residency = approver.locator("table.identity-differences tbody tr", has_text=translate("pages.identity_attribute_residency", "ja"))
    expect(residency.locator("td").nth(1)).to_have_text("東京都千代田区永田町一丁目7番1号")
    for key in ("eligibility_accept", "eligibility_return", "eligibility_reject"):
        expect(approver.get_by_label(translate(f"pages.{key}", "ja"))).to_have_count(1)
    violations["eligibility review page"] = axe_violations(approver)
    screenshot(approver, "desktop-ja-eligibility-review")

    # Not accepting without a reason shows the error; with one, the application is rejected.
    approver.get_by_label(translate("pages.eligibility_reject", "ja")).check()
    approver.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
    expect(approver.get_by_role("alert")).to_contain_text(translate("pages.eligibility_comment_required", "ja"))
    violations["eligibility review error"] = axe_violations(approver)
    approver.locator("#comment").fill("住所が県外のため、この手続は受け付けられません。")
    approver.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
    expect(approver.locator("h1")).to_have_text(translate("pages.approval_done", "ja"))

    reload_until(resident, "#status-label", translate("status.rejected", "ja"))
    status = client.status(reference_number, application["access_token"])
    assert status["payment"]["payments"] == []
    assert_no_violations(violations)


# --- Return for correction, resubmission and withdrawal ---------------------------------


def test_return_resubmit_shows_diff(open_page, client) -> None:
    application = submitted(client)
    reference_number = application["reference_number"]
    first_link = client.approval_link(reference_number)
    violations: dict[str, str] = {}
    approver = open_page("desktop")
    comment = "勤務先の名称を店舗名まで書いてください。"

    approver.goto(first_link)
    approver.get_by_label(translate("pages.decision_return", "ja")).check()
    approver.locator("#comment").fill(comment)
    approver.get_by_role("button", name=translate("pages.approval_submit", "ja")).click()
    expect(approver.locator("h1")).to_have_text(translate("pages.approval_done", "ja"))

    page = open_page("phone")
    page.goto(status_url(application))
    reload_until(page, "#status-label", translate("status.returned", "ja"))
    expect(page.locator("#status-history")).to_contain_text(comment)
    resubmit = page.get_by_role("link", name=translate("pages.resubmit_button", "ja"))
    expect(resubmit).to_be_visible()
    violations["status returned"] = axe_violations(page)

    resubmit.click()
    expect(page.locator("#resubmit-banner")).to_be_visible()
    expect(page.locator("#resubmit-heading")).to_be_focused()
    expect(page.locator("#resubmit-reference")).to_have_text(reference_number)
    workplace = page.locator("#field-workplace_name")
    expect(workplace).not_to_have_value("")
    before = workplace.input_value()
    violations["form prefilled for correction"] = axe_violations(page)
    workplace.fill(before + " 駅前店")
    page.get_by_role("button", name=translate("pages.to_confirm", "ja")).click()
    expect(page.locator("#confirmation .answers")).to_contain_text(before + " 駅前店")
    page.get_by_role("button", name=translate("pages.submit", "ja")).click()
    expect(page.locator("#completion")).to_be_visible()
    expect(page.locator("#reference-number")).to_have_text(reference_number)
    violations["resubmission completion"] = axe_violations(page)

    approver.goto(newest_approval_link(client, reference_number, other_than=first_link))
    change = approver.locator("table.changes tr[data-field='workplace_name']")
    expect(change.locator("del")).to_have_text(before)
    expect(change.locator("ins")).to_have_text(before + " 駅前店")
    expect(approver.locator("table.changes tbody tr")).to_have_count(1)
    violations["approval with changes"] = axe_violations(approver)
    assert_no_violations(violations)


def test_withdrawal_needs_confirmation(open_page, client) -> None:
    application = submitted(client)
    client.approval_link(application["reference_number"])
    page = open_page("phone")
    page.goto(status_url(application, "en"))
    withdraw = page.get_by_role("button", name=translate("pages.withdraw_button", "en"))
    expect(withdraw).to_be_visible()
    confirm = page.locator("#withdraw-confirm")
    expect(confirm).to_be_hidden()

    withdraw.click()
    expect(confirm).to_be_visible()
    expect(withdraw).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#withdraw-confirm-text")).to_be_focused()
    violations = {"withdrawal confirmation": axe_violations(page)}
    page.get_by_role("button", name=translate("pages.withdraw_cancel", "en")).click()
    expect(confirm).to_be_hidden()
    expect(withdraw).to_be_focused()
    assert client.status(application["reference_number"], application["access_token"])["status"] != "withdrawn"

    withdraw.click()
    page.get_by_role("button", name=translate("pages.withdraw_confirm_button", "en"), exact=True).click()
    expect(page.locator("#withdraw-result")).to_have_text(translate("pages.withdraw_done", "en"))
    reload_until(page, "#status-label", translate("status.withdrawn", "en"))
    expect(withdraw).to_be_hidden()
    violations["withdrawn"] = axe_violations(page)
    assert_no_violations(violations)


# --- Notice verification page, with the keyboard only ------------------------------------


@pytest.fixture(scope="module")
def approved_notice(client) -> dict[str, Any]:
    """A completed cook employment notification with its notice PDF and verification code."""
    application = submitted(client)
    link = client.approval_link(application["reference_number"])
    assert decide(link, "approve", approval_form(client, link)).status_code == 200
    client.wait_for_status(application["reference_number"], application["access_token"], "completed")
    for _ in range(100):
        response = client.get(
            f"/api/applications/{application['reference_number']}/notice",
            headers={"Authorization": f"Bearer {application['access_token']}"},
        )
        if response.status_code == 200:
            break
        time.sleep(0.1)
    assert response.status_code == 200, response.text
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return {**application, "pdf": response.content, "code": VERIFICATION_CODE.search(text).group(0)}


def tampered(pdf: bytes) -> bytes:
    """Return the PDF with changed metadata, as an edited copy would be."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.add_metadata({"/Title": "edited"})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_notice_verification_by_keyboard(open_page, approved_notice, screenshot) -> None:
    page = open_page("phone")
    page.goto("/notices/verify")
    violations = {"verification page": axe_violations(page)}
    screenshot(page, "phone-ja-notice-verify")

    code_input = page.locator("#verification-code")
    for _ in range(30):
        page.keyboard.press("Tab")
        if code_input.evaluate("element => element === document.activeElement"):
            break
    expect(code_input).to_be_focused()
    indicator = focus_indicator(page)
    assert indicator["outlineStyle"] != "none", indicator
    assert indicator["outlineWidth"] >= 2, indicator
    page.keyboard.type(approved_notice["code"])
    page.keyboard.press("Tab")
    expect(page.locator("#notice-file")).to_be_focused()
    page.keyboard.press("Tab")
    submit = page.get_by_role("button", name=translate("notices.verify_button", "ja"))
    expect(submit).to_be_focused()
    assert focus_indicator(page)["outlineStyle"] != "none"
    page.keyboard.press("Enter")

    result = page.locator("#verify-result-heading")
    expect(result).to_have_attribute("data-outcome", "valid_code")
    expect(page.locator(".reference-number")).to_have_text(approved_notice["reference_number"])
    assert horizontal_overflow(page) == []
    violations["valid code"] = axe_violations(page)
    assert_no_violations(violations)


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_tampered_notice_fails(open_page, approved_notice, locale: str) -> None:
    page = open_page("phone")
    page.goto(f"/notices/verify?lang={locale}")
    expect(page.locator("html")).to_have_attribute("lang", locale)

    page.locator("#verification-code").fill(approved_notice["code"])
    page.locator("#notice-file").set_input_files(
        {"name": "通知書.pdf", "mimeType": "application/pdf", "buffer": tampered(approved_notice["pdf"])}
    )
    page.get_by_role("button", name=translate("notices.verify_button", locale)).click()

    result = page.locator("#verify-result-heading")
    expect(result).to_have_attribute("data-outcome", "altered")
    expect(result).to_have_text(translate("notices.outcome_altered", locale))
    assert_no_violations({f"altered ({locale})": axe_violations(page)})

    page.locator("#notice-file").set_input_files(
        {"name": "通知書.pdf", "mimeType": "application/pdf", "buffer": approved_notice["pdf"]}
    )
    page.get_by_role("button", name=translate("notices.verify_button", locale)).click()
    expect(result).to_have_attribute("data-outcome", "valid_file")


# --- Staff sign-in and queue ------------------------------------------------------------


def test_staff_queue_oldest_first(open_page, client, local_stack, screenshot) -> None:
    first = submitted(client)
    client.approval_link(first["reference_number"])
    second = submitted(client)
    client.approval_link(second["reference_number"])
    page = open_page("phone")
    allow_origin(page, provider_origin(local_stack))

    page.goto("/staff")
    expect(page.locator("h1")).to_contain_text("Local identity provider")
    page.get_by_role("button", name=re.compile("^生活 衛子")).click()

    expect(page).to_have_url(re.compile(r"/staff$"))
    expect(page.locator("h1")).to_have_text(translate("staff.queue_heading", "ja"))
    rows = page.locator("table.queue tbody tr")
    references = rows.evaluate_all("rows => rows.map(row => row.dataset.reference)")
    assert first["reference_number"] in references
    assert second["reference_number"] in references
    assert references.index(first["reference_number"]) < references.index(second["reference_number"])
    received = rows.locator("td:first-child time").evaluate_all(
        "times => times.map(time => time.getAttribute('datetime'))"
    )
    assert received == sorted(received)
    assert document_overflow(page) == 0
    assert_no_violations({"staff queue": axe_violations(page)})
    screenshot(page, "phone-ja-staff-queue")


# --- Dashboard ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_dashboard_charts_have_tables(open_page, screenshot, locale: str) -> None:
    page = open_page("phone")
    response = page.goto(f"/dashboard?lang={locale}")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", locale)

    charts = page.locator("figure.chart")
    assert charts.count() > 0
    for index in range(charts.count()):
        chart = charts.nth(index)
        caption = chart.locator("figcaption").inner_text()
        region = chart.locator("xpath=following-sibling::div[contains(@class, 'table-scroll')][1]")
        table = region.locator("table.data-table")
        expect(table, f"chart {caption!r} has no data table").to_have_count(1)
        expect(table.locator("tbody tr").first).to_be_visible()
        # A table wider than the phone scrolls in its own region, which takes keyboard focus.
        expect(region).to_have_attribute("tabindex", "0")
    assert document_overflow(page) == 0
    assert_no_violations({f"dashboard ({locale})": axe_violations(page)})
    if locale == "ja":
        screenshot(page, "phone-ja-dashboard")
