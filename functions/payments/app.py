"""Payment routes (Chalice): the Stripe webhook, Checkout return pages and the receipt."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from chalice import Chalice, Response
from madoguchi.i18n import normalize_locale
from madoguchi.web.errors import ErrorMapping, error_mapper
from madoguchi.web.requests import bearer_token
from madoguchi.web.responses import error_response, html_response, json_response

app = Chalice(app_name="madoguchi-payments")
logger = Logger(service="payments")


def _locale() -> str:
    request = app.current_request
    query = request.query_params or {}
    if query.get("lang"):
        return normalize_locale(query["lang"])
    accept = (request.headers or {}).get("accept-language", "")
    return normalize_locale(accept.split(",")[0] if accept else None)


def _bearer_token() -> str | None:
    return bearer_token(app.current_request)


def _payment_errors() -> dict[type[Exception], ErrorMapping]:
    from madoguchi.applications.service import ApplicationAccessDenied
    from madoguchi.payments.checkout import RenewalNotAllowed
    from madoguchi.payments.gateway import PaymentProviderError
    from madoguchi.payments.views import ReceiptNotAvailable

    def provider_failed(exc: Exception) -> Response:
        logger.exception("payment provider request failed")
        return error_response(502, "payment_provider_error", "api.internal_error")

    return {
        ApplicationAccessDenied: (404, "application_not_found", "api.application_not_found"),
        ReceiptNotAvailable: (404, "receipt_not_available", "payments.receipt_not_available"),
        RenewalNotAllowed: (409, "payment_not_renewable", "payments.return_unknown"),
        PaymentProviderError: provider_failed,
    }


mapped_errors = error_mapper(app, logger, _payment_errors)


@app.route("/api/webhooks/stripe", methods=["POST"], content_types=["application/json"])
@mapped_errors
def stripe_webhook() -> Response:
    from madoguchi.payments.webhooks import InvalidWebhook, handle_webhook

    request = app.current_request
    raw_body = request.raw_body or b""
    try:
        result = handle_webhook(raw_body, (request.headers or {}).get("stripe-signature"))
    except InvalidWebhook as exc:
        logger.warning("webhook rejected", extra={"reason": str(exc)})
        return json_response({"error": "invalid_webhook"}, 400)
    logger.info(
        "webhook processed",
        extra={"event_id": result.event_id, "event_type": result.event_type, "outcome": result.outcome},
    )
    return json_response({"received": True, "outcome": result.outcome})


@app.route("/payments/complete", methods=["GET"])
@mapped_errors
def checkout_complete_page() -> Response:
    from madoguchi.payments.views import return_page_state
    from madoguchi.web.payment_pages import render_return_page

    query = app.current_request.query_params or {}
    state = return_page_state(session_id=query.get("session_id"))
    return html_response(
        render_return_page(state, cancelled=False, locale=_locale(), session_id=query.get("session_id"))
    )


@app.route("/payments/cancelled", methods=["GET"])
@mapped_errors
def checkout_cancelled_page() -> Response:
    from madoguchi.payments.views import return_page_state
    from madoguchi.web.payment_pages import render_return_page

    query = app.current_request.query_params or {}
    reference = query.get("reference")
    state = return_page_state(reference_number=reference)
    return html_response(render_return_page(state, cancelled=True, locale=_locale(), reference_number=reference))


@app.route("/status/{reference_number}/receipt", methods=["GET"])
@mapped_errors
def receipt_page(reference_number: str) -> Response:
    from madoguchi.web.payment_pages import render_receipt_page

    return html_response(render_receipt_page(reference_number, _locale()))


@app.route("/api/applications/{reference_number}/receipt", methods=["GET"])
@mapped_errors
def get_receipt(reference_number: str) -> Response:
    from madoguchi.applications.service import get_application_for_applicant
    from madoguchi.payments.views import receipt_view

    record = get_application_for_applicant(reference_number, _bearer_token())
    return json_response(receipt_view(record))


@app.route("/api/applications/{reference_number}/payment/session", methods=["POST"])
@mapped_errors
def renew_payment_session(reference_number: str) -> Response:
    """Open a new checkout session after the previous one expired unpaid."""
    from madoguchi.applications.service import get_application_for_applicant
    from madoguchi.payments.checkout import renew_checkout_session

    record = get_application_for_applicant(reference_number, _bearer_token())
    payment = renew_checkout_session(record.reference_number)
    return json_response({"session_id": payment.session_id, "checkout_url": payment.checkout_url}, 201)
