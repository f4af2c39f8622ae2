"""HTTP API and pages of madoguchi (Chalice). Handlers parse, call the domain, map the result."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from chalice import Chalice, Response
from madoguchi.applications import tokens
from madoguchi.applications.idempotency import (
    IdempotencyKeyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    submit_application_once,
)
from madoguchi.applications.service import (
    ApplicationAccessDenied,
    ProcedureClosed,
    SubmissionRequest,
    check_answers,
    get_application_for_applicant,
    status_view,
    submit_application,
)
from madoguchi.i18n import normalize_locale
from madoguchi.identity.errors import IdentitySessionInvalid
from madoguchi.procedures import ProcedureNotFound, get_procedure, load_catalog
from madoguchi.procedures.errors import AnswersInvalid
from madoguchi.settings import get_settings
from madoguchi.web import catalog_api, pages
from madoguchi.web.errors import ErrorMapping, error_mapper
from madoguchi.web.requests import bearer_token
from madoguchi.web.responses import error_response, html_response, json_response

app = Chalice(app_name="madoguchi")
logger = Logger(service="api")


def _locale() -> str:
    request = app.current_request
    query = request.query_params or {}
    if query.get("lang"):
        return normalize_locale(query["lang"])
    accept = (request.headers or {}).get("accept-language", "")
    return normalize_locale(accept.split(",")[0] if accept else None)


# A complete set of answers is a few kilobytes; attachments never pass through here.
MAX_JSON_BODY_BYTES = 256 * 1024


def _json_body() -> object:
    raw = app.current_request.raw_body or b""
    if len(raw) > MAX_JSON_BODY_BYTES:
        raise _BodyTooLarge()
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        # RecursionError: JSON nested thousands of levels deep.
        raise _BadJson() from exc


class _BodyTooLarge(Exception):
    pass


class _BadJson(Exception):
    pass


def _api_errors() -> dict[type[Exception], ErrorMapping]:
    def too_large(exc: Exception) -> Response:
        limit = {"limit_kb": MAX_JSON_BODY_BYTES // 1024}
        return error_response(413, "body_too_large", "api.body_too_large", params=limit)

    return {
        _BadJson: (400, "invalid_json", "api.invalid_json"),
        _BodyTooLarge: too_large,
        ProcedureNotFound: (404, "procedure_not_found", "api.procedure_not_found"),
        ApplicationAccessDenied: (404, "application_not_found", "api.application_not_found"),
    }


mapped_errors = error_mapper(
    app,
    logger,
    _api_errors,
    error_page=lambda: html_response(pages.render_error(500, _locale()), 500),
)


def _invalid_answers(exc: AnswersInvalid) -> Response:
    errors = [error.as_dict() for error in exc.errors]
    return error_response(422, "invalid_answers", "api.invalid_answers", errors=errors)


def _procedure_closed(exc: ProcedureClosed) -> Response:
    window = exc.definition.window
    if window is None:
        return error_response(422, "procedure_closed", "applications.procedure_closed_no_window")
    return error_response(
        422, "procedure_closed", "applications.procedure_closed",
        params=window.display_bounds(), window=window.model_dump(mode="json"),
    )


# --- Procedures --------------------------------------------------------------------


@app.route("/api/procedures", methods=["GET"])
@mapped_errors
def list_procedures() -> Response:
    return json_response({"procedures": catalog_api.procedure_summaries(load_catalog())})


@app.route("/api/procedures/{procedure_id}", methods=["GET"])
@mapped_errors
def get_procedure_definition(procedure_id: str) -> Response:
    return json_response(catalog_api.procedure_detail(get_procedure(procedure_id)))


@app.route("/api/procedures/{procedure_id}/validation", methods=["POST"])
@mapped_errors
def validate_procedure_answers(procedure_id: str) -> Response:
    """Check answers before the confirmation screen; nothing is stored."""
    definition = get_procedure(procedure_id)
    body = _json_body()
    answers = body.get("answers") if isinstance(body, dict) else None
    try:
        normalised = check_answers(definition, answers, datetime.now(UTC))
    except AnswersInvalid as exc:
        return _invalid_answers(exc)
    except ProcedureClosed as exc:
        return _procedure_closed(exc)
    fee = {"amount": definition.fee_amount(normalised), "currency": "JPY"}
    return json_response({"valid": True, "answers": normalised, "fee": fee})


@app.route("/api/postal-codes/{postal_code}", methods=["GET"])
@mapped_errors
def lookup_postal_code(postal_code: str) -> Response:
    address = catalog_api.postal_address(postal_code)
    if address is None:
        return error_response(404, "postal_code_not_found", "api.postal_code_not_found")
    return json_response(address, headers={"Cache-Control": "public, max-age=86400"})


@app.route("/api/openapi.json", methods=["GET"])
@mapped_errors
def openapi_document() -> Response:
    from madoguchi.web.openapi import published_document

    return json_response(published_document())


# --- Applications ------------------------------------------------------------------


@app.route("/api/applications", methods=["POST"])
@mapped_errors
def create_application() -> Response:
    body = _json_body()
    if not isinstance(body, dict) or not isinstance(body.get("procedure_id"), str):
        return error_response(
            400, "invalid_request", "api.invalid_request",
            params={"detail": "procedure_id (string) / answers (object) / locale ('ja'|'en')"},
        )
    request = SubmissionRequest(
        procedure_id=body["procedure_id"],
        answers=body.get("answers"),  # type: ignore[arg-type]
        locale=normalize_locale(body.get("locale") if isinstance(body.get("locale"), str) else None),
        identity_session_id=(
            body["identity_session_id"] if isinstance(body.get("identity_session_id"), str) else None
        ),
    )
    key = (app.current_request.headers or {}).get("idempotency-key")

    try:
        if key is not None:
            result = submit_application_once(key, request, app.lambda_context)
        else:
            result = submit_application(request)
    except AnswersInvalid as exc:
        return _invalid_answers(exc)
    except ProcedureClosed as exc:
        return _procedure_closed(exc)
    except IdentitySessionInvalid:
        return error_response(422, "identity_session_invalid", "identity.session_invalid")
    except IdempotencyKeyInvalid:
        return error_response(400, "idempotency_key_invalid", "api.idempotency_key_invalid")
    except IdempotencyKeyReused:
        return error_response(422, "idempotency_key_reused", "api.idempotency_key_reused")
    except IdempotencyKeyInProgress:
        return error_response(409, "idempotency_in_progress", "api.idempotency_in_progress",
                              headers={"Retry-After": "2"})

    settings = get_settings()
    reference_number = result["reference_number"]
    logger.info("application submitted", extra={"reference_number": reference_number})
    body = {
        **result,
        "access_token": tokens.access_token(settings.signing_secret, reference_number),
        "status_url": f"{settings.public_base_url}/status/{reference_number}",
    }
    return json_response(body, 201, headers={"Location": f"/api/applications/{reference_number}"})


@app.route("/api/applications/{reference_number}", methods=["GET"])
@mapped_errors
def get_application_status(reference_number: str) -> Response:
    record = get_application_for_applicant(reference_number, bearer_token(app.current_request))
    return json_response(status_view(record))


# --- Pages ---------------------------------------------------------------------------


@app.route("/", methods=["GET"])
@mapped_errors
def home_page() -> Response:
    return html_response(pages.render_home(load_catalog(), _locale()))


@app.route("/procedures/{procedure_id}", methods=["GET"])
@mapped_errors
def form_page(procedure_id: str) -> Response:
    try:
        definition = get_procedure(procedure_id)
    except ProcedureNotFound:
        return html_response(pages.render_error(404, _locale()), 404)
    return html_response(pages.render_form(definition, _locale()))


@app.route("/status", methods=["GET"])
@mapped_errors
def status_lookup_page() -> Response:
    return html_response(pages.render_status(None, _locale()))


@app.route("/status/{reference_number}", methods=["GET"])
@mapped_errors
def status_page(reference_number: str) -> Response:
    return html_response(pages.render_status(reference_number, _locale()))


@app.route("/approvals/{task_id}", methods=["GET", "HEAD"])
@mapped_errors
def approval_page(task_id: str) -> Response:
    return pages.approval_page_response(task_id)


@app.route(
    "/approvals/{task_id}", methods=["POST"],
    content_types=["application/x-www-form-urlencoded"],
)
@mapped_errors
def approval_decision(task_id: str) -> Response:
    raw = (app.current_request.raw_body or b"").decode("utf-8", errors="replace")
    form = {name: values[0] for name, values in parse_qs(raw, keep_blank_values=True).items()}
    return pages.approval_decision_response(task_id, form)


@app.route("/static/{name}", methods=["GET"])
@mapped_errors
def static_asset(name: str) -> Response:
    return pages.static_response(name)


@app.route("/api/health", methods=["GET"])
@mapped_errors
def health() -> Response:
    return json_response({"status": "ok"})
