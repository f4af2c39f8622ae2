"""Webhook signature checks with the Stripe SDK, the simulator's signing, and fee amounts."""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from madoguchi.payments.webhooks import InvalidWebhook, verify_event
from madoguchi.procedures import get_procedure
from madoguchi.procedures.models import Exemption, Fee, QuantityFee
from madoguchi.settings import get_settings

from infra.local.lambdas import load_handler
from infra.local.provision import LocalFunction, load_template
from infra.local.stripe_simulator import decode_form, sign_payload

SECRET = "whsec_unit_test_secret"


@pytest.fixture
def webhook_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    for name in ("TABLE_NAME", "ANSWERS_BUCKET", "ANSWERS_KMS_KEY_ID", "SENDER_EMAIL"):
        monkeypatch.setenv(name, "unit-test")
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SIGNING_SECRET", "s" * 48)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def event_payload(event_type: str = "checkout.session.completed") -> str:
    event = {
        "id": "evt_unit_1",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": {"id": "cs_test_unit", "metadata": {"procedure_title": "狩猟免許試験 申請", "environment": "local"}}},
    }
    return json.dumps(event, ensure_ascii=False, indent=2)


def test_simulator_signature_matches_sdk() -> None:
    payload = event_payload()
    timestamp = int(time.time())

    ours = sign_payload(payload, SECRET, timestamp)
    sdk = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp)

    assert ours == sdk


def test_verify_accepts_sdk_signature(webhook_settings: None) -> None:
    payload = event_payload()
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)

    event = verify_event(payload.encode("utf-8"), header)

    assert event["id"] == "evt_unit_1"
    assert event["data"]["object"]["metadata"]["procedure_title"] == "狩猟免許試験 申請"


def test_forged_signature_rejected(webhook_settings: None) -> None:
    payload = event_payload()
    header = stripe.WebhookSignature.generate_signature_header(payload, "whsec_someone_else")

    with pytest.raises(InvalidWebhook):
        verify_event(payload.encode("utf-8"), header)


def test_stale_timestamp_rejected(webhook_settings: None) -> None:
    payload = event_payload()
    stale = int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE - 5
    header = sign_payload(payload, SECRET, stale)

    with pytest.raises(InvalidWebhook):
        verify_event(payload.encode("utf-8"), header)


def test_reserialised_body_rejected(webhook_settings: None) -> None:
    payload = event_payload()
    header = sign_payload(payload, SECRET)
    # The same event, re-serialised with escaped Japanese and no indentation.
    reserialised = json.dumps(json.loads(payload)).encode("utf-8")

    assert json.loads(reserialised) == json.loads(payload)
    with pytest.raises(InvalidWebhook):
        verify_event(reserialised, header)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=notanumber,v1=abc"])
def test_missing_or_malformed_header_rejected(webhook_settings: None, header: str | None) -> None:
    with pytest.raises(InvalidWebhook):
        verify_event(event_payload().encode("utf-8"), header)


def test_non_utf8_body_rejected(webhook_settings: None) -> None:
    body = b"\xff\xfe{}"

    with pytest.raises(InvalidWebhook):
        verify_event(body, sign_payload("{}", SECRET))


def proxy_event(body: bytes, headers: dict[str, str], base64_encoded: bool) -> dict[str, Any]:
    """An API Gateway REST proxy event for POST /api/webhooks/stripe."""
    return {
        "resource": "/api/webhooks/stripe",
        "path": "/api/webhooks/stripe",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"resourcePath": "/api/webhooks/stripe", "httpMethod": "POST", "stage": "test"},
        "body": base64.b64encode(body).decode() if base64_encoded else body.decode("utf-8"),
        "isBase64Encoded": base64_encoded,
    }


def payments_app() -> Any:
    function = LocalFunction("PaymentsFunction", "payments", ROOT / "functions" / "payments", "app.app")
    return load_handler(function)


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_handler_verifies_raw_body(webhook_settings: None, base64_encoded: bool) -> None:
    # An event type the handler does not act on is acknowledged before any table access.
    payload = event_payload("customer.created").encode("utf-8")
    headers = {"content-type": "application/json; charset=utf-8", "stripe-signature": sign_payload(payload.decode(), SECRET)}

    response = payments_app()(proxy_event(payload, headers, base64_encoded), None)

    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["outcome"] == "ignored_type"


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_handler_rejects_forged_body(webhook_settings: None, base64_encoded: bool) -> None:
    payload = event_payload().encode("utf-8")
    headers = {"content-type": "application/json", "stripe-signature": sign_payload(payload.decode(), "whsec_forged")}

    response = payments_app()(proxy_event(payload, headers, base64_encoded), None)

    assert response["statusCode"] == 400


def test_payments_routes_match_template() -> None:
    resources = load_template()["Resources"]
    events = resources["PaymentsFunction"]["Properties"]["Events"].values()
    declared = {(e["Properties"]["Path"], e["Properties"]["Method"].upper()) for e in events if e["Type"] == "Api"}
    routed = {(path, method) for path, methods in payments_app().routes.items() for method in methods}

    assert routed == declared


def test_decode_stripe_form_encoding() -> None:
    pairs = [
        ("line_items[0][price_data][unit_amount]", "10400"),
        ("payment_method_types[0]", "card"),
        ("payment_method_types[1]", "konbini"),
        ("metadata[reference_number]", "2026-AAAA-BBBB"),
    ]

    decoded = decode_form(pairs)

    assert decoded["line_items"][0]["price_data"]["unit_amount"] == "10400"
    assert decoded["payment_method_types"] == ["card", "konbini"]
    assert decoded["metadata"] == {"reference_number": "2026-AAAA-BBBB"}


def test_hunting_fee_two_types() -> None:
    definition = get_procedure("hunting-licence-exam")

    assert definition.fee_amount({"licence_types": ["net", "trap"]}) == 10400
    assert definition.fee_amount({"licence_types": ["net"]}) == 5200


def test_cook_licence_fee_fixed() -> None:
    assert get_procedure("cook-licence").fee_amount({}) == 5600


def test_quantity_fee_with_exemption() -> None:
    base = get_procedure("cook-employment-notification")
    number_field = next(field for field in base.fields if field.type in ("text", "number"))
    fee = Fee(
        rule=QuantityFee(kind="quantity", field=number_field.id, unit_amount=300, fixed_amount=1000),
        exemptions=[
            Exemption(
                when={"field": "welfare_recipient", "equals": True},  # type: ignore[arg-type]
                percent=50,
                label={"ja": "半額免除"},  # type: ignore[arg-type]
            )
        ],
    )
    definition = base.model_copy(update={"fee": fee})

    assert definition.fee_amount({number_field.id: 3}) == 1900
    assert definition.fee_amount({number_field.id: 0}) == 1000
    assert definition.fee_amount({number_field.id: "3"}) == 1000
    assert definition.fee_amount({number_field.id: 3, "welfare_recipient": True}) == 950
    assert definition.fee_amount({number_field.id: 3, "welfare_recipient": False}) == 1900
    assert definition.fee_exemption({"welfare_recipient": True}).percent == 50
