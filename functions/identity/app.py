"""Identity verification routes (Chalice): the My Number card through OpenID Connect,
e-mail one-time codes, and the verified attributes that prefill a form."""

from __future__ import annotations

import json
from urllib.parse import quote

from aws_lambda_powertools import Logger
from chalice import Chalice, Response
from madoguchi.i18n import normalize_locale
from madoguchi.procedures import ProcedureNotFound, get_procedure
from madoguchi.web.errors import ErrorMapping, error_mapper
from madoguchi.web.responses import SECURITY_HEADERS, error_response, json_response

app = Chalice(app_name="madoguchi-identity")
logger = Logger(service="identity")

# Holds the id of the pending authorization request between /identity/start and the
# callback, so that only the browser that started the flow can complete it.
SESSION_COOKIE = "madoguchi_identity"


class _BadRequest(Exception):
    pass


def _identity_errors() -> dict[type[Exception], ErrorMapping]:
    # Imported on the first error, not at cold start: the service loads boto3.
    from madoguchi.identity.service import IdentityNotConfigured, IdentitySessionInvalid

    def unavailable(exc: Exception) -> Response:
        logger.error("identity provider not configured")
        return error_response(503, "identity_unavailable", "identity.unavailable")

    return {
        _BadRequest: (400, "invalid_request", "identity.invalid_request"),
        ProcedureNotFound: (404, "procedure_not_found", "api.procedure_not_found"),
        IdentitySessionInvalid: (404, "identity_session_not_found", "identity.session_not_found"),
        IdentityNotConfigured: unavailable,
    }


mapped_errors = error_mapper(app, logger, _identity_errors)


def _redirect(location: str, cookie: str | None = None) -> Response:
    headers = {"Location": location, "Cache-Control": "no-store", **SECURITY_HEADERS}
    if cookie is not None:
        headers["Set-Cookie"] = cookie
    return Response(body="", status_code=302, headers=headers)


def _session_cookie(value: str, max_age: int) -> str:
    from madoguchi.settings import get_settings

    # SameSite=Lax: the provider's redirect back is a top-level GET, which still carries it.
    secure = "; Secure" if get_settings().public_base_url.startswith("https://") else ""
    return f"{SESSION_COOKIE}={value}; Max-Age={max_age}; Path=/identity/; HttpOnly; SameSite=Lax{secure}"


def _cookie_value(name: str) -> str | None:
    header = (app.current_request.headers or {}).get("cookie", "")
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def _json_body() -> dict:
    try:
        body = json.loads((app.current_request.raw_body or b"").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _BadRequest() from exc
    if not isinstance(body, dict):
        raise _BadRequest()
    return body


def _message_page(key: str, status_code: int, locale: str = "ja") -> Response:
    from madoguchi.i18n import translate
    from madoguchi.web.pages import render_message
    from madoguchi.web.responses import html_response

    return html_response(render_message(translate(f"identity.{key}", locale), locale), status_code)


# --- My Number card ------------------------------------------------------------------


@app.route("/identity/start", methods=["GET"])
@mapped_errors
def start_identity() -> Response:
    """Send the browser to the provider, for a form (``procedure_id``) or an e-mailed link (``link``)."""
    from madoguchi.identity.oidc import IdentityProviderError
    from madoguchi.identity.service import start_card_verification
    from madoguchi.identity.settings import get_identity_settings

    query = app.current_request.query_params or {}
    procedure_id = query.get("procedure_id")
    link_id = query.get("link")
    if bool(procedure_id) == bool(link_id):
        raise _BadRequest()
    if procedure_id:
        get_procedure(procedure_id)
    try:
        url, session_id = start_card_verification(procedure_id, link_id)
    except IdentityProviderError as exc:
        logger.error("identity provider unavailable", extra={"error": str(exc)})
        return _message_page("provider_unavailable", 503)
    max_age = get_identity_settings().identity_session_ttl_seconds
    return _redirect(url, _session_cookie(session_id, max_age))


@app.route("/identity/callback", methods=["GET"])
@mapped_errors
def identity_callback() -> Response:
    """Verify the provider's response, then return to the form with a verified session id.

    The id travels in the URL fragment, which browsers do not send to servers.
    """
    from madoguchi.identity.oidc import IdentityProviderError
    from madoguchi.identity.service import (
        IdentitySessionInvalid,
        VerificationFailed,
        complete_card_verification,
    )

    query = app.current_request.query_params or {}
    session_id = _cookie_value(SESSION_COOKIE)
    cleared = _session_cookie("", 0)
    if query.get("error") or not query.get("code") or not query.get("state") or not session_id:
        # The resident cancelled at the provider, or the browser lost the cookie.
        logger.info("identity callback without a result", extra={"provider_error": query.get("error", "")[:40]})
        return _message_page("cancelled", 400)

    try:
        result = complete_card_verification(session_id, query["state"], query["code"])
    except VerificationFailed as exc:
        logger.warning("identity verification failed", extra={"reason": exc.reason})
        return _message_page("verification_failed", 400)
    except IdentityProviderError as exc:
        logger.error("identity provider error", extra={"error": str(exc)})
        return _message_page("provider_unavailable", 502)

    if result.link_id:
        from madoguchi.identity.waiting import complete_identity_wait
        from madoguchi.workflow import TaskAlreadyClosed

        try:
            complete_identity_wait(result.link_id, result.session_id)
        except IdentitySessionInvalid:
            return _message_page("link_expired", 410)
        except TaskAlreadyClosed:
            return _message_page("link_expired", 410)
        return _message_page("recorded", 200)

    location = f"/procedures/{quote(result.procedure_id or '')}#identity={result.session_id}"
    return _redirect(location, cleared)


@app.route("/api/identity/{session_id}", methods=["GET"])
@mapped_errors
def get_identity_session(session_id: str) -> Response:
    """Return the verified attributes of a session for prefill (``procedure_id`` query required)."""
    from madoguchi.identity.service import prefill_view

    procedure_id = (app.current_request.query_params or {}).get("procedure_id")
    if not procedure_id:
        raise _BadRequest()
    return json_response(prefill_view(session_id, get_procedure(procedure_id)))


# --- E-mail one-time code --------------------------------------------------------------


@app.route("/api/identity/email/codes", methods=["POST"])
@mapped_errors
def send_email_code() -> Response:
    from madoguchi.identity.service import send_email_code as send_code

    body = _json_body()
    procedure_id, email = body.get("procedure_id"), body.get("email")
    if not isinstance(procedure_id, str) or not isinstance(email, str) or "@" not in email:
        raise _BadRequest()
    if get_procedure(procedure_id).identity != "email":
        return error_response(422, "identity_level_mismatch", "identity.email_not_used")
    locale = normalize_locale(body.get("locale") if isinstance(body.get("locale"), str) else None)
    session_id, expires_at = send_code(procedure_id, email.strip(), locale)
    return json_response({"session_id": session_id, "expires_at": expires_at.isoformat()}, 201)


@app.route("/api/identity/email/verifications", methods=["POST"])
@mapped_errors
def verify_email_code() -> Response:
    from madoguchi.identity.service import VerificationFailed
    from madoguchi.identity.service import verify_email_code as verify_code

    body = _json_body()
    session_id, code = body.get("session_id"), body.get("code")
    if not isinstance(session_id, str) or not isinstance(code, str):
        raise _BadRequest()
    try:
        identity_session_id = verify_code(session_id, code)
    except VerificationFailed as exc:
        return error_response(422, exc.reason, f"identity.{exc.reason}")
    return json_response({"identity_session_id": identity_session_id})
