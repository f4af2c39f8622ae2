"""The fee after a return for correction, on the local stack with the payment simulator.

The hunting licence exam charges ¥5,200 per licence type. A resident pays, staff
return the application, and the corrected answers change the number of types: the
new workflow run asks for the difference, refunds it, or asks for nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from identity_flow import verify_identity

from tests.conftest import APPROVAL_LINK
from tests.integration.attachments_helpers import (
    accepted_upload_id,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("hunting_open")]

HUNTING = "hunting-licence-exam"
ONE_TYPE = ["trap"]
TWO_TYPES = ["trap", "gun_first_class"]
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- Helpers ---------------------------------------------------------------------------


def submit_hunting(client: Any, licence_types: list[str]) -> tuple[str, str]:
    """Submit the hunting exam with a verified identity; return (reference, token)."""
    import uuid

    example = client.get(f"/api/procedures/{HUNTING}").json()["answers_schema"]["examples"][0]
    answers = {
        **example,
        "licence_types": licence_types,
        "email": f"hunter-{uuid.uuid4().hex[:12]}@example.jp",
        "medical_certificate": [accepted_upload_id(client, HUNTING, "medical_certificate", "pdf")],
        "photo": [accepted_upload_id(client, HUNTING, "photo", "png")],
    }
    body = {
        "procedure_id": HUNTING,
        "answers": answers,
        "locale": "ja",
        "identity_session_id": verify_identity(client, HUNTING, "yamasaki"),
    }
    response = client.post("/api/applications", json=body)
    assert response.status_code == 201, response.text
    return response.json()["reference_number"], response.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def simulator(client: Any) -> Any:
    return client.stack.stripe_simulator


def approval_links(client: Any, reference: str, step: int) -> list[str]:
    return [
        APPROVAL_LINK.search(mail["text"]).group(0)
        for mail in client.outbox()
        if "承認依頼" in mail["subject"] and reference in mail["subject"] and f"（{step} / " in mail["text"]
    ]


def wait_for_link(client: Any, reference: str, step: int, exclude: tuple[str, ...] = ()) -> str:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        fresh = [link for link in approval_links(client, reference, step) if link not in exclude]
        if fresh:
            return fresh[0]
        time.sleep(0.05)
    raise AssertionError(f"no approval link for step {step} of {reference} arrived")


def decide(client: Any, link: str, decision: str, comment: str = "") -> None:
    page = client.http.get(link, timeout=30)
    assert page.status_code == 200, page.text
    csrf_token = CSRF_INPUT.search(page.text).group(1)
    response = requests.post(link, data={"decision": decision, "comment": comment, "csrf_token": csrf_token},
                             timeout=30)
    assert response.status_code == 200, response.text


def paid_and_returned(client: Any, licence_types: list[str]) -> tuple[str, str, str]:
    """Submit, pay by card and have the first approver return it; return (reference, token, old link)."""
    reference, token = submit_hunting(client, licence_types)
    client.pay_fee(reference, token)
    link = wait_for_link(client, reference, 1)
    decide(client, link, "return", "免許の種類を確認してください。")
    client.wait_for_status(reference, token, "returned")
    return reference, token, link


def fee_preview(client: Any, reference: str, token: str, **changes: Any) -> dict[str, Any]:
    """Return the fee that the resubmission check shows on the confirmation screen."""
    current = client.get(f"/api/applications/{reference}/answers", headers=bearer(token)).json()["answers"]
    response = client.post(f"/api/applications/{reference}/resubmissions/validation",
                           json={"answers": {**current, **changes}}, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()["fee"]


def resubmit(client: Any, reference: str, token: str, **changes: Any) -> dict[str, Any]:
    current = client.get(f"/api/applications/{reference}/answers", headers=bearer(token)).json()["answers"]
    response = client.post(f"/api/applications/{reference}/resubmissions",
                           json={"answers": {**current, **changes}}, headers=bearer(token))
    assert response.status_code == 201, response.text
    return response.json()


def approve_route(client: Any, reference: str, token: str, earlier: tuple[str, ...]) -> dict[str, Any]:
    """Approve both steps of the current run and return the completed status."""
    first = wait_for_link(client, reference, 1, exclude=earlier)
    decide(client, first, "approve")
    decide(client, wait_for_link(client, reference, 2, exclude=earlier), "approve")
    return client.wait_for_status(reference, token, "completed")


def intent_of(client: Any, session_id: str) -> str:
    return simulator(client).sessions[session_id]["payment_intent"]


def refunds_of(client: Any, intent_id: str) -> list[int]:
    return [refund["amount"] for refund in simulator(client).refunds.values() if refund["payment_intent"] == intent_id]


def sessions_of(client: Any, reference: str) -> list[dict[str, Any]]:
    return [s for s in simulator(client).sessions.values() if s["metadata"].get("reference_number") == reference]


def history(status: dict[str, Any]) -> list[str]:
    return [entry["event"] for entry in status["history"]]


def pay_on_checkout_page(client: Any, checkout_url: str, outcome: str) -> requests.Response:
    page = client.http.get(checkout_url, timeout=30)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    return client.http.post(client.url + action, data={"outcome": outcome}, allow_redirects=False, timeout=30)


def post_event(client: Any, event: dict[str, Any]) -> requests.Response:
    body, headers = simulator(client).signed_request(event)
    return client.http.post(client.url + "/api/webhooks/stripe", data=body, headers=headers, timeout=30)


@pytest.fixture
def refundable_hunting_fee(request: pytest.FixtureRequest) -> Iterator[None]:
    """Make the hunting exam's fee refundable on rejection for one test.

    Handlers run in this process and read the cached catalog, so the cached
    definition is replaced and put back afterwards. The exam's window is opened
    first, because that reloads the catalog.
    """
    from madoguchi.procedures import load_catalog

    request.getfixturevalue("hunting_open")
    catalog = load_catalog()
    original = catalog[HUNTING]
    assert original.fee is not None
    catalog[HUNTING] = original.model_copy(update={"fee": original.fee.model_copy(update={"refundable": True})})
    try:
        yield
    finally:
        catalog[HUNTING] = original


# --- Higher fee: the difference is asked for ------------------------------------------


def test_added_type_pays_difference(client: Any) -> None:
    reference, token, first_link = paid_and_returned(client, ONE_TYPE)
    first_session = client.status(reference, token)["payment"]["session_id"]

    preview = fee_preview(client, reference, token, licence_types=TWO_TYPES)
    result = resubmit(client, reference, token, licence_types=TWO_TYPES)
    status = client.wait_for_status(reference, token, "awaiting_payment")

    assert preview == {"amount": 10400, "currency": "JPY", "paid_amount": 5200, "amount_due": 5200, "refund_amount": 0}
    assert result["fee_amount"] == 10400
    assert result["previous_fee_amount"] == 5200
    payment = status["payment"]
    assert payment["fee_amount"] == 10400
    assert payment["amount"] == 5200
    assert payment["amount_due"] == 5200
    assert payment["kept_amount"] == 5200
    assert payment["state"] == "pending"
    assert payment["session_id"] != first_session
    assert [(p["kind"], p["amount"], p["state"]) for p in payment["payments"]] == [
        ("fee", 5200, "paid"), ("difference", 5200, "pending"),
    ]
    session = simulator(client).sessions[payment["session_id"]]
    assert session["amount_total"] == 5200
    assert session["payment_method_types"] == ["card", "konbini"]
    assert session["line_items_summary"] == ["狩猟免許試験の申請 手数料（修正による差額）"]
    resubmitted = next(entry for entry in status["history"] if entry["event"] == "resubmitted")
    assert "5,200円から10,400円" in resubmitted["label"]["ja"]
    assert "¥5,200 to ¥10,400" in resubmitted["label"]["en"]
    mail = client.wait_for_mail(lambda m: reference in m["subject"] and "お支払いのお願い" in m["subject"]
                                and "差額" in m["text"])
    assert "今回お支払いいただく額：5,200円" in mail["text"]
    assert "手数料：10,400円" in mail["text"]

    pay_on_checkout_page(client, payment["checkout_url"], "card_success")
    reviewing = client.wait_for_status(reference, token, "under_review")

    assert reviewing["payment"]["state"] == "paid"
    assert reviewing["payment"]["amount_due"] == 0
    assert reviewing["payment"]["kept_amount"] == 10400
    assert history(reviewing).count("payment_received") == 2
    completed = approve_route(client, reference, token, earlier=(first_link,))
    assert completed["payment"]["payments"][1]["state"] == "paid"
    receipt = client.get(f"/api/applications/{reference}/receipt", headers=bearer(token)).json()
    assert receipt["amount"] == 10400
    assert receipt["refunded_amount"] == 0
    assert [(r["kind"], r["amount"], r["method"]) for r in receipt["receipts"]] == [
        ("fee", 5200, "card"), ("difference", 5200, "card"),
    ]
    assert receipt["receipts"][1]["kind_label"]["ja"] == "修正による差額"
    assert refunds_of(client, intent_of(client, first_session)) == []


def test_difference_wrong_amount_flagged(client: Any) -> None:
    reference, token, _link = paid_and_returned(client, ONE_TYPE)
    resubmit(client, reference, token, licence_types=TWO_TYPES)
    payment = client.wait_for_status(reference, token, "awaiting_payment")["payment"]
    session = {**simulator(client).sessions[payment["session_id"]], "payment_status": "paid", "amount_total": 520}
    event = simulator(client).build_event("checkout.session.completed", session)

    response = post_event(client, event)

    assert response.status_code == 200
    assert response.json()["outcome"] == "flagged"
    status = client.status(reference, token)
    assert status["status"] == "awaiting_payment"
    assert [p["state"] for p in status["payment"]["payments"]] == ["paid", "flagged"]
    assert status["payment"]["amount_due"] == 5200


def test_missed_difference_webhook_reconciled(client: Any) -> None:
    from madoguchi.payments.reconcile import reconcile_payments

    reference, token, _link = paid_and_returned(client, ONE_TYPE)
    resubmit(client, reference, token, licence_types=TWO_TYPES)
    payment = client.wait_for_status(reference, token, "awaiting_payment")["payment"]
    simulator(client).settle(payment["session_id"], "card_success", deliver=False)

    report = reconcile_payments()

    assert reference in report.repaired
    status = client.wait_for_status(reference, token, "under_review")
    assert [p["state"] for p in status["payment"]["payments"]] == ["paid", "paid"]
    assert history(status).count("payment_received") == 2


# --- Lower fee: the difference is refunded once ----------------------------------------


def test_removed_type_refunded_once(client: Any) -> None:
    from madoguchi.payments.checkout import plan_payment
    from madoguchi.payments.refunds import refund_overpayment

    reference, token, first_link = paid_and_returned(client, TWO_TYPES)
    session_id = client.status(reference, token)["payment"]["session_id"]
    intent_id = intent_of(client, session_id)

    preview = fee_preview(client, reference, token, licence_types=ONE_TYPE)
    result = resubmit(client, reference, token, licence_types=ONE_TYPE)
    status = client.wait_for_status(reference, token, "under_review")

    assert preview == {"amount": 5200, "currency": "JPY", "paid_amount": 10400, "amount_due": 0, "refund_amount": 5200}
    assert result["fee_amount"] == 5200
    assert refunds_of(client, intent_id) == [5200]
    payment = status["payment"]
    assert payment["state"] == "paid"
    assert payment["fee_amount"] == 5200
    assert payment["amount_due"] == 0
    assert payment["kept_amount"] == 5200
    assert payment["refunded_amount"] == 5200
    assert len(payment["payments"]) == 1
    assert history(status).count("fee_difference_refunded") == 1
    assert "payment_requested" not in history(status)[history(status).index("resubmitted"):]
    refunded = next(entry for entry in status["history"] if entry["event"] == "fee_difference_refunded")
    assert "5,200円" in refunded["label"]["ja"]

    # Stripe's charge.refunded for the partial refund, delivered again and sent anew.
    simulator(client).wait_for_deliveries()
    charge_events = [e for e in simulator(client).events.values()
                     if e["type"] == "charge.refunded" and e["data"]["object"]["payment_intent"] == intent_id]
    assert [e["data"]["object"]["refunded"] for e in charge_events] == [False]
    assert charge_events[0]["data"]["object"]["amount_refunded"] == 5200
    repeated = post_event(client, charge_events[0])
    fresh = post_event(client, simulator(client).build_event("charge.refunded", charge_events[0]["data"]["object"]))
    assert repeated.json()["outcome"] == "duplicate"
    assert fresh.json()["outcome"] == "partial_refund"
    assert refund_overpayment(reference) == []
    assert plan_payment(reference)["due"] is False
    assert refunds_of(client, intent_id) == [5200]
    assert client.status(reference, token)["payment"]["state"] == "paid"

    completed = approve_route(client, reference, token, earlier=(first_link,))
    assert completed["payment"]["refunded_amount"] == 5200
    receipt = client.get(f"/api/applications/{reference}/receipt", headers=bearer(token)).json()
    assert receipt["amount"] == 10400
    assert receipt["refunded_amount"] == 5200
    assert receipt["refunded"] is False
    assert receipt["receipts"][0]["refunded_amount"] == 5200


def test_same_fee_no_new_payment(client: Any) -> None:
    reference, token, first_link = paid_and_returned(client, TWO_TYPES)

    result = resubmit(client, reference, token, licence_types=["net", "trap"], phone="090-8765-4321")
    status = client.wait_for_status(reference, token, "under_review")

    assert result["fee_amount"] == result["previous_fee_amount"] == 10400
    resubmitted = next(entry for entry in status["history"] if entry["event"] == "resubmitted")
    assert resubmitted["label"]["ja"] == "修正した内容で再申請されました"
    assert "payment_requested" not in history(status)[history(status).index("resubmitted"):]
    assert len(status["payment"]["payments"]) == 1
    assert status["payment"]["refunded_amount"] == 0
    assert len(sessions_of(client, reference)) == 1
    assert refunds_of(client, intent_of(client, status["payment"]["session_id"])) == []
    approve_route(client, reference, token, earlier=(first_link,))


# --- Withdrawal and rejection after a difference was paid --------------------------------


def test_withdraw_after_difference_no_refund(client: Any) -> None:
    """A returned application was reviewed, so the refund policy gives nothing back on withdrawal."""
    reference, token, _link = paid_and_returned(client, ONE_TYPE)
    resubmit(client, reference, token, licence_types=TWO_TYPES)
    payment = client.wait_for_status(reference, token, "awaiting_payment")["payment"]
    voucher = pay_on_checkout_page(client, payment["checkout_url"], "konbini")
    page = client.http.get(client.url + voucher.headers["Location"], timeout=30)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    client.http.post(client.url + action, data={"outcome": "konbini_paid"}, timeout=30)
    client.wait_for_status(reference, token, "under_review")

    response = client.post(f"/api/applications/{reference}/withdrawal", headers=bearer(token))

    assert response.status_code == 200, response.text
    assert response.json()["refund_requested"] is False
    status = client.status(reference, token)
    assert [(p["state"], p["refunded_amount"]) for p in status["payment"]["payments"]] == [("paid", 0), ("paid", 0)]
    assert status["payment"]["payments"][1]["method_label"]["ja"] == "コンビニ払い"
    for session in sessions_of(client, reference):
        assert refunds_of(client, session["payment_intent"]) == []


@pytest.mark.usefixtures("refundable_hunting_fee")
def test_rejection_refunds_both_payments(client: Any) -> None:
    reference, token, first_link = paid_and_returned(client, ONE_TYPE)
    resubmit(client, reference, token, licence_types=TWO_TYPES)
    client.pay_fee(reference, token)
    client.wait_for_status(reference, token, "under_review")

    decide(client, wait_for_link(client, reference, 1, exclude=(first_link,)), "reject", "受験資格がありません。")
    client.wait_for_status(reference, token, "rejected")

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        payments = client.status(reference, token)["payment"]["payments"]
        if all(p["state"] == "refunded" for p in payments):
            break
        time.sleep(0.05)
    assert [(p["state"], p["refunded_amount"]) for p in payments] == [("refunded", 5200), ("refunded", 5200)]
    for session in sessions_of(client, reference):
        assert refunds_of(client, session["payment_intent"]) == [5200]
    receipt = client.get(f"/api/applications/{reference}/receipt", headers=bearer(token)).json()
    assert receipt["refunded"] is True
    assert [r["refunded"] for r in receipt["receipts"]] == [True, True]
