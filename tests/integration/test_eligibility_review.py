"""The eligibility review before the payment stage, on the local stack.

佐藤 一郎 (the local provider's person "non-resident") lives in Tokyo and applies for
the cook licence, a residents-only procedure. The workflow must ask the first route
step's approver (health-centre-staff) before it requests the ¥5,600 fee.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from identity_flow import cook_licence_uploads, verify_identity
from test_application_journey import approval_form, decide, example_answers

pytestmark = pytest.mark.integration

APPROVAL_LINK = re.compile(r"https?://\S+/approvals/[A-Za-z0-9_-]+")
ELIGIBILITY_SUBJECT = "受付確認依頼"
ELIGIBILITY_HEADING = "手数料の支払い前の受付確認"
NON_RESIDENT_ANSWERS = {
    "full_name": "佐藤 一郎",
    "birth_date": "1979-09-09",
    "postal_code": "100-0014",
    "address": "東京都千代田区永田町1-7-1",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submit_cook_licence(client: Any, person: str, **changes: Any) -> dict[str, Any]:
    """Submit a cook licence verified as ``person``; return reference number, token and e-mail."""
    answers = {**example_answers(client, "cook-licence", **changes), **cook_licence_uploads(client)}
    response = client.post(
        "/api/applications",
        json={
            "procedure_id": "cook-licence",
            "answers": answers,
            "locale": "ja",
            "identity_session_id": verify_identity(client, "cook-licence", person),
        },
    )
    assert response.status_code == 201, response.text
    return {**response.json(), "email": answers["email"]}


def eligibility_link(client: Any, reference_number: str, other_than: str = "") -> str:
    """Return the eligibility review link e-mailed for the application (not ``other_than``)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for mail in reversed(client.outbox()):
            if ELIGIBILITY_SUBJECT in mail["subject"] and reference_number in mail["subject"]:
                link = APPROVAL_LINK.search(mail["text"]).group(0)
                if link != other_than:
                    return link
        time.sleep(0.05)
    raise AssertionError(f"no eligibility review link for {reference_number}")


def payment_items(reference_number: str) -> list[dict[str, Any]]:
    """Return the application's payment items (``PAYMENT`` and ``PAYMENT#v<n>``) from the table."""
    table = boto3.resource("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).Table(os.environ["TABLE_NAME"])
    response = table.query(
        KeyConditionExpression=Key("PK").eq(f"APPLICATION#{reference_number}") & Key("SK").begins_with("PAYMENT"),
        ConsistentRead=True,
    )
    return response["Items"]


def waiting_for_review(client: Any) -> tuple[dict[str, Any], str]:
    """Submit as the non-resident and wait for the review; return (application, link)."""
    application = submit_cook_licence(client, "non-resident", **NON_RESIDENT_ANSWERS)
    client.wait_for_status(application["reference_number"], application["access_token"], "eligibility_review")
    return application, eligibility_link(client, application["reference_number"])


def events(status: dict[str, Any]) -> list[str]:
    return [entry["event"] for entry in status["history"]]


def test_non_resident_waits_before_payment(client: Any) -> None:
    application, _ = waiting_for_review(client)
    reference_number = application["reference_number"]
    status = client.status(reference_number, application["access_token"])

    assert status["status_label"] == {"ja": "受付前の確認中", "en": "Eligibility check before payment"}
    assert status["identity"]["mismatched_attributes"] == ["residency"]
    assert events(status)[-1] == "eligibility_review_requested"
    assert "payment_requested" not in events(status)
    assert status["payment"]["state"] == "not_requested"
    assert status["payment"]["checkout_url"] is None
    assert status["payment"]["payments"] == []
    assert payment_items(reference_number) == []
    assert not [m for m in client.outbox() if "お支払い" in m["subject"] and reference_number in m["subject"]]


def test_eligibility_mail_and_page(client: Any) -> None:
    application, link = waiting_for_review(client)
    mail = client.wait_for_mail(
        lambda m: ELIGIBILITY_SUBJECT in m["subject"] and application["reference_number"] in m["subject"]
    )
    page = client.http.get(link, timeout=30)

    assert mail["to"] == ["hokenjo-tanto@example.pref.lg.jp"]
    assert "承認依頼" not in mail["subject"]
    assert page.status_code == 200
    assert f"<h1>{ELIGIBILITY_HEADING}：" in page.text
    assert "東京都千代田区永田町一丁目7番1号" in page.text
    assert "受け付ける（手数料の支払いに進む）" in page.text
    assert "受け付けない（手数料は請求しません）" in page.text


def test_accept_requests_payment_then_route(client: Any) -> None:
    application, link = waiting_for_review(client)
    reference_number = application["reference_number"]
    token = application["access_token"]

    response = decide(link, "approve", approval_form(client, link), "県外在住ですが、県内の勤務先で受け付けます。")
    client.pay_fee(reference_number, token)
    client.wait_for_status(reference_number, token, "under_review")
    first_step = client.approval_link(reference_number, 1)
    status = client.status(reference_number, token)

    assert response.status_code == 200, response.text
    assert first_step != link
    accepted = next(entry for entry in status["history"] if entry["event"] == "eligibility_accepted")
    assert accepted["label"]["ja"] == "受付の確認が終わりました。手数料のお支払いに進みます"
    assert status["payment"]["state"] == "paid"
    assert events(status).index("eligibility_accepted") < events(status).index("payment_requested")


def test_reject_requests_no_fee(client: Any) -> None:
    application, link = waiting_for_review(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    reason = "申請者の住所が県外のため、この手続は受け付けられません。"

    response = decide(link, "reject", approval_form(client, link), reason)
    client.wait_for_status(reference_number, token, "rejected")
    deadline = time.monotonic() + 15
    status = client.status(reference_number, token)
    while status["notice"] is None and time.monotonic() < deadline:
        time.sleep(0.05)
        status = client.status(reference_number, token)
    decision_mail = client.wait_for_mail(
        lambda m: reference_number in m["subject"] and reason in m["text"]
    )

    assert response.status_code == 200, response.text
    assert status["notice"] is not None
    assert "payment_requested" not in events(status)
    assert payment_items(reference_number) == []
    assert status["payment"]["payments"] == []
    assert status["payment"]["refunded_amount"] == 0
    rejected = next(entry for entry in status["history"] if entry["event"] == "rejected")
    assert rejected["comment"] == reason
    assert decision_mail["to"] == [application["email"]]
    assert [a["content_type"] for a in decision_mail["attachments"]] == ["application/pdf"]


def test_return_then_resubmit_reviews_again(client: Any) -> None:
    application, link = waiting_for_review(client)
    reference_number = application["reference_number"]
    token = application["access_token"]

    decide(link, "return", approval_form(client, link), "県内の住所を確認できる書類を添付してください。")
    client.wait_for_status(reference_number, token, "returned")
    current = client.get(f"/api/applications/{reference_number}/answers", headers=bearer(token)).json()
    response = client.post(
        f"/api/applications/{reference_number}/resubmissions",
        json={"answers": current["answers"]},
        headers=bearer(token),
    )
    client.wait_for_status(reference_number, token, "eligibility_review")
    second_link = eligibility_link(client, reference_number, other_than=link)
    decide(second_link, "approve", approval_form(client, second_link))
    client.pay_fee(reference_number, token)
    client.wait_for_status(reference_number, token, "under_review")
    status = client.status(reference_number, token)

    assert response.status_code == 201, response.text
    assert events(status).count("eligibility_review_requested") == 2
    assert "returned" in events(status)
    assert status["payment"]["state"] == "paid"

    # The return came before any fee, so a withdrawal before the route's first
    # decision still refunds the fee paid after the correction.
    withdrawal = client.post(f"/api/applications/{reference_number}/withdrawal", headers=bearer(token))
    assert withdrawal.status_code == 200, withdrawal.text
    assert withdrawal.json()["refund_requested"] is True


def test_resident_goes_straight_to_payment(client: Any) -> None:
    application = submit_cook_licence(client, "takahashi", full_name="高橋　崎子")
    reference_number = application["reference_number"]

    status = client.wait_for_status(reference_number, application["access_token"], "awaiting_payment")

    assert "eligibility_review_requested" not in events(status)
    assert status["payment"]["checkout_url"]
    assert not [m for m in client.outbox() if ELIGIBILITY_SUBJECT in m["subject"] and reference_number in m["subject"]]
