"""Staff routes (Chalice): sign-in through OpenID Connect, the approval queue and exports.

The e-mailed approval link stays the main path for approvers; the queue lists the
same links for a signed-in approver.
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from chalice import Chalice, Response
from madoguchi.i18n import normalize_locale, translate
from madoguchi.web.errors import ErrorMapping, error_mapper
from madoguchi.web.requests import bearer_token
from madoguchi.web.responses import SECURITY_HEADERS, error_response, html_response, json_response

if TYPE_CHECKING:
    from madoguchi.staff.session import StaffSession

app = Chalice(app_name="madoguchi-staff")
logger = Logger(service="staff")


class _BadRequest(Exception):
    pass


def _locale() -> str:
    query = app.current_request.query_params or {}
    return normalize_locale(query.get("lang") or "ja")


def _cookie(name: str) -> str | None:
    header = (app.current_request.headers or {}).get("cookie", "")
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def _session() -> StaffSession | None:
    from madoguchi.staff.session import SESSION_COOKIE, read_session

    return read_session(_cookie(SESSION_COOKIE))


def _message_page(key: str, status_code: int) -> Response:
    from madoguchi.web.pages import render_message

    locale = _locale()
    return html_response(render_message(translate(f"staff.{key}", locale), locale), status_code)


def _redirect(location: str, cookies: list[str]) -> Response:
    headers: dict = {"Location": location, "Cache-Control": "no-store", **SECURITY_HEADERS}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body="", status_code=302, headers=headers)


def _staff_errors() -> dict[type[Exception], ErrorMapping]:
    from madoguchi.procedures import ProcedureNotFound
    from madoguchi.staff.exports import ExportNotFound, ExportRequestInvalid
    from madoguchi.staff.session import StaffSignInNotConfigured

    def export_invalid(exc: Exception) -> Response:
        detail = {"detail": str(exc)}
        return error_response(422, "export_invalid", "staff.export_invalid", params=detail)

    def sign_in_unavailable(exc: Exception) -> Response:
        logger.error("staff sign-in not configured")
        return _message_page("sign_in_unavailable", 503)

    return {
        _BadRequest: (400, "invalid_json", "api.invalid_json"),
        ProcedureNotFound: (404, "procedure_not_found", "api.procedure_not_found"),
        ExportNotFound: (404, "export_not_found", "staff.export_not_found"),
        ExportRequestInvalid: export_invalid,
        StaffSignInNotConfigured: sign_in_unavailable,
    }


mapped_errors = error_mapper(
    app, logger, _staff_errors, error_page=lambda: _message_page("sign_in_failed", 500)
)


# --- Sign-in -----------------------------------------------------------------------------


@app.route("/staff/login", methods=["GET"])
@mapped_errors
def staff_login() -> Response:
    """Send the browser to the staff identity provider; state, nonce and the PKCE
    verifier travel in a signed, HttpOnly cookie limited to /staff/."""
    from madoguchi.identity.oidc import IdentityProviderError
    from madoguchi.staff.session import LOGIN_TTL_SECONDS, login_cookie_header, start_sign_in

    try:
        url, login = start_sign_in()
    except IdentityProviderError as exc:
        logger.error("staff identity provider unavailable", extra={"error": str(exc)})
        return _message_page("sign_in_unavailable", 503)
    return _redirect(url, [login_cookie_header(login, LOGIN_TTL_SECONDS)])


@app.route("/staff/callback", methods=["GET"])
@mapped_errors
def staff_callback() -> Response:
    from madoguchi.identity.oidc import IdentityProviderError
    from madoguchi.staff.session import (
        LOGIN_COOKIE,
        StaffSignInFailed,
        complete_sign_in,
        login_cookie_header,
        session_cookie_header,
    )
    from madoguchi.staff.settings import get_staff_settings

    query = app.current_request.query_params or {}
    clear_login = login_cookie_header("", 0)
    if query.get("error") or not query.get("code") or not query.get("state"):
        logger.info("staff sign-in cancelled or invalid", extra={"error": query.get("error", "missing_code")})
        return _message_page("sign_in_failed", 400)
    try:
        session, value = complete_sign_in(_cookie(LOGIN_COOKIE), query["state"], query["code"])
    except StaffSignInFailed as exc:
        logger.warning("staff sign-in failed", extra={"reason": exc.reason})
        key = "no_role" if exc.reason == "no_role" else "sign_in_failed"
        return _message_page(key, 403 if key == "no_role" else 400)
    except IdentityProviderError as exc:
        logger.error("staff identity provider unavailable", extra={"error": str(exc)})
        return _message_page("sign_in_unavailable", 503)
    logger.info("staff signed in", extra={"roles": list(session.roles)})
    ttl = get_staff_settings().staff_session_ttl_seconds
    return _redirect("/staff", [session_cookie_header(value, ttl), clear_login])


@app.route(
    "/staff/logout", methods=["POST"],
    content_types=["application/x-www-form-urlencoded", "application/json", "text/plain"],
)
@mapped_errors
def staff_logout() -> Response:
    from madoguchi.staff.session import session_cookie_header

    return _redirect("/staff/login", [session_cookie_header("", 0)])


# --- Queue -------------------------------------------------------------------------------


@app.route("/staff", methods=["GET"])
@mapped_errors
def staff_queue() -> Response:
    """List the signed-in approver's pending approval tasks; without a valid session,
    send the browser to sign in."""
    from madoguchi.staff.queue import pending_tasks
    from madoguchi.web.pages import render_page

    session = _session()
    if session is None:
        return _redirect("/staff/login", [])
    locale = _locale()

    def ts(key: str, **params: object) -> str:
        return translate(f"staff.{key}", locale, **params)

    page = render_page(
        "staff_queue.html", locale, "/staff", ts=ts, session=session, tasks=pending_tasks(session.roles)
    )
    return html_response(page)


# --- Exports -----------------------------------------------------------------------------


def _staff_caller() -> tuple[str, tuple[str, ...] | None] | None:
    """Return (who, roles) for a staff session, (``api-token``, None) for the staff API
    token, or None when the request is not from staff."""
    from madoguchi.staff.settings import get_staff_settings

    session = _session()
    if session is not None:
        return session.email or "staff", session.roles
    token = bearer_token(app.current_request)
    expected = get_staff_settings().staff_api_token.get_secret_value()
    if expected and token is not None and hmac.compare_digest(token, expected):
        return "api-token", None
    return None


def _may_export(roles: tuple[str, ...] | None, procedure_id: str) -> bool:
    """Return whether the caller may export a procedure.

    The API token may export any procedure, a session only procedures whose approval
    route names one of its roles.
    """
    from madoguchi.procedures import get_procedure

    if roles is None:
        return True
    steps = get_procedure(procedure_id).approval_route.steps
    return any(step.approver_role in roles for step in steps)


@app.route("/api/staff/exports", methods=["POST"])
@mapped_errors
def create_export() -> Response:
    """Start an export of a procedure's applications in a period and return 202 with its id.

    ``from`` and ``to`` are inclusive dates in Asia/Tokyo.
    """
    from madoguchi.staff.exports import ExportRequestInvalid, parse_period, request_export

    caller = _staff_caller()
    if caller is None:
        return error_response(401, "staff_auth_required", "staff.staff_token_required")
    try:
        body = json.loads((app.current_request.raw_body or b"").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _BadRequest() from exc
    if not isinstance(body, dict) or not isinstance(body.get("procedure_id"), str):
        raise ExportRequestInvalid("procedure_id (string), from and to (dates) are required")
    first, last = parse_period(body.get("from"), body.get("to"))
    requester, roles = caller
    if not _may_export(roles, body["procedure_id"]):
        return error_response(403, "export_forbidden", "staff.export_forbidden")
    export_id = request_export(body["procedure_id"], first, last, requester)
    return json_response(
        {"export_id": export_id, "state": "pending", "status_url": f"/api/staff/exports/{export_id}"},
        202,
        headers={"Location": f"/api/staff/exports/{export_id}"},
    )


@app.route("/api/staff/exports/{export_id}", methods=["GET"])
@mapped_errors
def get_export(export_id: str) -> Response:
    from madoguchi.staff.exports import export_status

    if _staff_caller() is None:
        return error_response(401, "staff_auth_required", "staff.staff_token_required")
    return json_response(export_status(export_id))
