"""Fee payment on the local stack: Checkout through the simulator, webhooks, refunds,
reconciliation and the payment timeout, with the workflow running the real ASL."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from typing import Any

import pytest
import requests
from identity_flow import cook_licence_uploads, verify_identity

pytestmark = pytest.mark.integration


# --- Helpers ---------------------------------------------------------------------------


def submit_cook_licence(client: Any) -> tuple[str, str]:
    """Submit a cook licence (¥5,600) with a verified identity; return (reference, token)."""
    example = client.get("/api/procedures/cook-licence").json()["answers_schema"]["examples"][0]
    answers = {**example, **cook_licence_uploads(client), "full_name": "高橋　崎子"}
    session_id = verify_identity(client, "cook-licence", "takahashi")
    response = client.post(
        "/api/applications",
        json={"procedure_id": "cook-licence", "answers": answers, "locale": "ja", "identity_session_id": session_id},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["reference_number"], body["access_token"]


def awaiting_payment(client: Any) -> tuple[str, str, dict[str, Any]]:
    """Submit and wait until the workflow has opened the checkout session."""
    reference, token = submit_cook_licence(client)
    status = client.wait_for_status(reference, token, "awaiting_payment")
    return reference, token, status["payment"]


def wait_for_payment_state(client: Any, reference: str, token: str, state: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    current: dict[str, Any] = {}
    while time.monotonic() < deadline:
        current = client.status(reference, token)
        if current["payment"] and current["payment"]["state"] == state:
            return current
        time.sleep(0.05)
    raise AssertionError(f"payment stayed {current.get('payment')!r}, expected {state!r}")


def pay_on_checkout_page(client: Any, checkout_url: str, outcome: str) -> requests.Response:
    """Choose an outcome on the simulator's Checkout page, as a resident's browser does."""
    page = client.http.get(checkout_url, timeout=30)
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    return client.http.post(client.url + action, data={"outcome": outcome}, allow_redirects=False, timeout=30)


def simulator(client: Any) -> Any:
    return client.stack.stripe_simulator


def post_event(client: Any, event: dict[str, Any]) -> requests.Response:
    body, headers = simulator(client).signed_request(event)
    return client.http.post(client.url + "/api/webhooks/stripe", data=body, headers=headers, timeout=30)


def session_with(client: Any, session_id: str, **changes: Any) -> dict[str, Any]:
    """The simulator's session object with ``changes``, as an event payload carries it."""
    return {**json.loads(json.dumps(simulator(client).sessions[session_id])), **changes}


def history_events(client: Any, reference: str, token: str) -> list[str]:
    return [entry["event"] for entry in client.status(reference, token)["history"]]


def approve(client: Any, reference: str, step: int) -> None:
    link = client.approval_link(reference, step)
    page = client.http.get(link, timeout=30)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.http.post(link, data={"decision": "approve", "comment": "", "csrf_token": csrf}, timeout=30)
    assert response.status_code == 200, response.text


# --- Journeys ----------------------------------------------------------------------------


def test_card_journey_to_completed(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)
    assert payment["amount"] == 5600
    assert payment["currency"] == "JPY"
    assert payment["state"] == "pending"
    session = simulator(client).sessions[payment["session_id"]]
    assert session["amount_total"] == 5600
    assert session["currency"] == "jpy"
    assert session["locale"] == "ja"
    assert session["payment_method_types"] == ["card", "konbini"]
    assert session["metadata"] == {"reference_number": reference, "procedure_id": "cook-licence", "environment": "local"}
    mail = client.wait_for_mail(lambda m: reference in m["subject"] and "お支払いのお願い" in m["subject"])
    assert re.search(r"お支払い期限：20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}（日本時間）", mail["text"])

    returned = pay_on_checkout_page(client, payment["checkout_url"], "card_success")
    assert returned.status_code == 303
    status = client.wait_for_status(reference, token, "under_review")
    assert status["payment"]["state"] == "paid"
    assert status["payment"]["method"] == "card"
    assert status["payment"]["checkout_url"] is None
    assert "payment_received" in history_events(client, reference, token)
    return_page = client.http.get(returned.headers["Location"], timeout=30)
    assert "お支払いを確認しました" in return_page.text

    for step in (1, 2, 3):
        approve(client, reference, step)
    client.wait_for_status(reference, token, "completed")

    receipt = client.get(f"/api/applications/{reference}/receipt", headers={"Authorization": f"Bearer {token}"})
    assert receipt.status_code == 200
    assert receipt.json()["amount"] == 5600
    assert [r["amount"] for r in receipt.json()["receipts"]] == [5600]
    assert receipt.json()["receipts"][0]["method_label"]["ja"] == "クレジットカード"
    page = client.get(f"/status/{reference}/receipt")
    assert page.status_code == 200
    assert "領収書" in page.text
    assert "Receipt" in client.get(f"/status/{reference}/receipt?lang=en").text


def test_receipt_needs_token(client: Any) -> None:
    reference, _token, _payment = awaiting_payment(client)

    wrong = client.get(f"/api/applications/{reference}/receipt", headers={"Authorization": "Bearer wrong"})
    unpaid = client.get(f"/api/applications/{reference}/receipt", headers={"Authorization": f"Bearer {_token}"})

    assert wrong.status_code == 404
    assert unpaid.status_code == 404
    assert unpaid.json()["error"] == "receipt_not_available"


def test_card_declined_keeps_session_open(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)

    response = pay_on_checkout_page(client, payment["checkout_url"], "card_declined")

    assert response.status_code == 200
    assert "拒否" in response.text
    status = client.status(reference, token)
    assert status["status"] == "awaiting_payment"
    assert status["payment"]["checkout_url"] == payment["checkout_url"]


def test_konbini_pending_then_paid(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)

    voucher = pay_on_checkout_page(client, payment["checkout_url"], "konbini")
    assert voucher.status_code == 303
    processing = wait_for_payment_state(client, reference, token, "processing")
    assert processing["status"] == "awaiting_payment"
    cancelled_page = client.get(f"/payments/cancelled?reference={reference}")
    assert "コンビニでのお支払いをお待ちしています" in cancelled_page.text

    page = client.http.get(client.url + voucher.headers["Location"], timeout=30)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    client.http.post(client.url + action, data={"outcome": "konbini_paid"}, timeout=30)

    status = client.wait_for_status(reference, token, "under_review")
    assert status["payment"]["state"] == "paid"
    assert status["payment"]["method"] == "konbini"


# --- Webhook ordering and duplicates -----------------------------------------------------


def test_same_event_twice_in_a_row(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)
    event = simulator(client).build_event(
        "checkout.session.completed", session_with(client, payment["session_id"], payment_status="paid")
    )

    first = post_event(client, event)
    second = post_event(client, event)

    assert first.status_code == 200
    assert second.status_code == 200
    assert first.json()["outcome"] == "resumed"
    assert second.json()["outcome"] == "duplicate"
    client.wait_for_status(reference, token, "under_review")
    assert history_events(client, reference, token).count("payment_received") == 1


def test_same_event_concurrently(client: Any) -> None:
    from madoguchi.payments.webhooks import handle_webhook

    reference, token, payment = awaiting_payment(client)
    event = simulator(client).build_event(
        "checkout.session.completed", session_with(client, payment["session_id"], payment_status="paid")
    )
    body, headers = simulator(client).signed_request(event)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def deliver() -> None:
        barrier.wait()
        outcomes.append(handle_webhook(body, headers["Stripe-Signature"]).outcome)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 8
    assert outcomes.count("duplicate") == 7
    assert outcomes.count("resumed") == 1
    client.wait_for_status(reference, token, "under_review")
    assert history_events(client, reference, token).count("payment_received") == 1


def test_distinct_paid_events_concurrently_resume_once(client: Any) -> None:
    from madoguchi.payments.webhooks import handle_webhook

    reference, token, payment = awaiting_payment(client)
    paid = session_with(client, payment["session_id"], payment_status="paid")
    events = [simulator(client).build_event("checkout.session.completed", paid, created=1000 + i) for i in range(6)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(events))

    def deliver(event: dict[str, Any]) -> None:
        body, headers = simulator(client).signed_request(event)
        barrier.wait()
        outcomes.append(handle_webhook(body, headers["Stripe-Signature"]).outcome)

    threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes.count("resumed") == 1
    client.wait_for_status(reference, token, "under_review")
    assert history_events(client, reference, token).count("payment_received") == 1


def test_completed_after_expired(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)
    sim = simulator(client)
    created = int(time.time())
    expired = sim.build_event("checkout.session.expired", session_with(client, payment["session_id"], status="expired"), created)
    completed = sim.build_event(
        "checkout.session.completed",
        session_with(client, payment["session_id"], status="complete", payment_status="paid"),
        created - 5,
    )

    assert post_event(client, expired).json()["outcome"] == "applied"
    assert client.status(reference, token)["payment"]["state"] == "expired"
    assert post_event(client, completed).json()["outcome"] == "resumed"

    status = client.wait_for_status(reference, token, "under_review")
    assert status["payment"]["state"] == "paid"


def test_expired_after_paid_is_stale(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)
    sim = simulator(client)
    paid = sim.build_event("checkout.session.completed", session_with(client, payment["session_id"], payment_status="paid"))
    expired = sim.build_event(
        "checkout.session.expired", session_with(client, payment["session_id"], status="expired"), paid["created"] + 60
    )

    post_event(client, paid)
    response = post_event(client, expired)

    assert response.json()["outcome"] == "stale"
    assert client.wait_for_status(reference, token, "under_review")["payment"]["state"] == "paid"


def test_async_failure_then_success(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)
    sim = simulator(client)
    session_id = payment["session_id"]
    created = int(time.time())
    voucher = sim.build_event("checkout.session.completed", session_with(client, session_id, status="complete"), created)
    failed = sim.build_event("checkout.session.async_payment_failed", session_with(client, session_id), created + 1)
    succeeded = sim.build_event(
        "checkout.session.async_payment_succeeded", session_with(client, session_id, payment_status="paid"), created + 2
    )

    assert post_event(client, voucher).json()["outcome"] == "applied"
    assert post_event(client, failed).json()["outcome"] == "applied"
    assert client.status(reference, token)["payment"]["state"] == "failed"
    assert post_event(client, succeeded).json()["outcome"] == "resumed"

    assert client.wait_for_status(reference, token, "under_review")["payment"]["state"] == "paid"


def test_amount_mismatch_flagged(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)
    event = simulator(client).build_event(
        "checkout.session.completed",
        session_with(client, payment["session_id"], payment_status="paid", amount_total=560),
    )

    response = post_event(client, event)

    assert response.status_code == 200
    assert response.json()["outcome"] == "flagged"
    status = client.status(reference, token)
    assert status["payment"]["state"] == "flagged"
    assert status["status"] == "awaiting_payment"


def test_other_environment_acknowledged(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)
    metadata = {"reference_number": reference, "procedure_id": "cook-licence", "environment": "prod"}
    event = simulator(client).build_event(
        "checkout.session.completed",
        session_with(client, payment["session_id"], payment_status="paid", metadata=metadata),
    )

    response = post_event(client, event)

    assert response.status_code == 200
    assert response.json()["outcome"] == "other_environment"
    assert client.status(reference, token)["payment"]["state"] == "pending"


def test_unknown_session_acknowledged(client: Any) -> None:
    metadata = {"reference_number": "2026-0000-0000", "environment": "local"}
    event = simulator(client).build_event(
        "checkout.session.completed", {"id": "cs_test_unknown", "payment_status": "paid", "metadata": metadata}
    )

    response = post_event(client, event)

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_session"


def test_forged_webhook_rejected_over_http(client: Any) -> None:
    event = simulator(client).build_event("checkout.session.completed", {"id": "cs_x", "metadata": {}})
    body, headers = simulator(client).signed_request(event)
    headers["Stripe-Signature"] = headers["Stripe-Signature"][:-4] + "0000"

    response = client.http.post(client.url + "/api/webhooks/stripe", data=body, headers=headers, timeout=30)

    assert response.status_code == 400


def test_base64_body_through_handler(client: Any) -> None:
    """API Gateway delivers some bodies base64-encoded; the raw bytes are still verified."""
    import base64

    from infra.local.lambdas import load_handler

    reference, token, payment = awaiting_payment(client)
    event = simulator(client).build_event(
        "checkout.session.completed", session_with(client, payment["session_id"], payment_status="paid")
    )
    body, headers = simulator(client).signed_request(event)
    function = next(f for f in client.stack._stack.functions.values() if f.logical_id == "PaymentsFunction")
    proxy = {
        "resource": "/api/webhooks/stripe", "path": "/api/webhooks/stripe", "httpMethod": "POST",
        "headers": {"content-type": headers["Content-Type"], "stripe-signature": headers["Stripe-Signature"]},
        "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": "/api/webhooks/stripe", "httpMethod": "POST", "stage": "local"},
        "body": base64.b64encode(body).decode(), "isBase64Encoded": True,
    }

    response = load_handler(function)(proxy, None)

    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["outcome"] == "resumed"
    client.wait_for_status(reference, token, "under_review")


# --- Refunds, timeouts, reconciliation -----------------------------------------------------


def test_refund_on_withdrawal_once(client: Any) -> None:
    from madoguchi.applications.lifecycle import record_status
    from madoguchi.payments.refunds import RefundNotAllowed, refund_on_withdrawal

    reference, token, payment = awaiting_payment(client)
    pay_on_checkout_page(client, payment["checkout_url"], "card_success")
    client.wait_for_status(reference, token, "under_review")
    record_status(reference, "withdrawn", "withdrawn", decision={"actor": "applicant"})

    results: list[list[str] | str] = []
    barrier = threading.Barrier(4)

    def withdraw_refund() -> None:
        barrier.wait()
        try:
            results.append(refund_on_withdrawal(reference))
        except RefundNotAllowed:
            results.append("not_allowed")

    threads = [threading.Thread(target=withdraw_refund) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    refund_ids = [refund_id for r in results if isinstance(r, list) for refund_id in r]
    assert len(results) == 4
    assert len(refund_ids) == 1
    intent_id = simulator(client).sessions[payment["session_id"]]["payment_intent"]
    refunds = [r for r in simulator(client).refunds.values() if r["payment_intent"] == intent_id]
    assert [r["id"] for r in refunds] == refund_ids
    assert refunds[0]["amount"] == 5600
    status = wait_for_payment_state(client, reference, token, "refunded")
    assert status["payment"]["receipt_available"] is True
    with pytest.raises(RefundNotAllowed):
        refund_on_withdrawal(reference)


def test_reconciliation_repairs_missed_webhook(client: Any) -> None:
    from madoguchi.payments.reconcile import reconcile_payments

    reference, token, payment = awaiting_payment(client)
    simulator(client).settle(payment["session_id"], "card_success", deliver=False)
    assert client.status(reference, token)["status"] == "awaiting_payment"

    report = reconcile_payments()
    again = reconcile_payments()

    assert reference in report.repaired
    assert reference not in again.repaired
    status = client.wait_for_status(reference, token, "under_review")
    assert status["payment"]["state"] == "paid"
    assert history_events(client, reference, token).count("payment_received") == 1


def test_payment_after_timeout_refunded(client: Any) -> None:
    from madoguchi.settings import get_settings

    os.environ["PAYMENT_TIMEOUT_SECONDS"] = "4"
    get_settings.cache_clear()
    try:
        reference, token, payment = awaiting_payment(client)
    finally:
        del os.environ["PAYMENT_TIMEOUT_SECONDS"]
        get_settings.cache_clear()
    # The resident takes a konbini voucher but pays only after the workflow gave up.
    voucher = pay_on_checkout_page(client, payment["checkout_url"], "konbini")
    wait_for_payment_state(client, reference, token, "processing")

    expired = client.wait_for_status(reference, token, "expired", timeout=20)
    assert expired["payment"]["state"] == "expired"
    assert "payment_expired" in [entry["event"] for entry in expired["history"]]
    client.wait_for_mail(lambda m: reference in m["subject"] and "期限切れ" in m["subject"])

    page = client.http.get(client.url + voucher.headers["Location"], timeout=30)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    client.http.post(client.url + action, data={"outcome": "konbini_paid"}, timeout=30)

    status = wait_for_payment_state(client, reference, token, "refunded")
    assert status["status"] == "expired"
    intent_id = simulator(client).sessions[payment["session_id"]]["payment_intent"]
    assert [r["amount"] for r in simulator(client).refunds.values() if r["payment_intent"] == intent_id] == [5600]


def test_hunting_fee_sent_as_10400(client: Any) -> None:
    """¥5,200 × 2 licence types reaches Stripe as the zero-decimal amount 10400."""
    from datetime import UTC, datetime

    from madoguchi.applications.models import ApplicationRecord
    from madoguchi.payments.checkout import open_checkout_session
    from madoguchi.procedures import get_procedure

    now = datetime.now(UTC)
    definition = get_procedure("hunting-licence-exam")
    record = ApplicationRecord(
        reference_number=f"2026-HNT{int(time.time()) % 10}-{os.getpid() % 10000:04d}",
        procedure_id=definition.id, procedure_version=definition.version, status="awaiting_payment",
        locale="en", answers_key="unused", fee_amount=definition.fee_amount({"licence_types": ["net", "trap"]}),
        created_at=now, updated_at=now,
    )

    payment = open_checkout_session(record, now, task_token=None)

    session = simulator(client).sessions[payment.session_id]
    assert payment.amount == 10400
    assert session["amount_total"] == 10400
    assert session["locale"] == "en"
    assert session["line_items_summary"] == ["Fee for Application for the hunting licence examination"]


def test_renew_after_session_expired(client: Any) -> None:
    reference, token, payment = awaiting_payment(client)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/applications/{reference}/payment/session", headers=auth).status_code == 409

    simulator(client).expire(payment["session_id"])
    wait_for_payment_state(client, reference, token, "expired")
    renewed = client.post(f"/api/applications/{reference}/payment/session", headers=auth)

    assert renewed.status_code == 201, renewed.text
    assert renewed.json()["session_id"] != payment["session_id"]
    status = client.status(reference, token)
    assert status["payment"]["state"] == "pending"
    assert status["payment"]["checkout_url"] == renewed.json()["checkout_url"]
    pay_on_checkout_page(client, renewed.json()["checkout_url"], "card_success")
    assert client.wait_for_status(reference, token, "under_review")["payment"]["state"] == "paid"
