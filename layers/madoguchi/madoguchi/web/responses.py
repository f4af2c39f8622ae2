"""Build Chalice responses and map domain errors to HTTP status codes in one place."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from madoguchi.i18n import translate_all

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def page_security_headers() -> dict[str, str]:
    """Return SECURITY_HEADERS for HTML pages, with UPLOADS_ORIGIN added to ``connect-src``
    because the form posts attachments straight to the uploads bucket."""
    from madoguchi.settings import get_settings

    origin = get_settings().uploads_origin
    if not origin:
        return SECURITY_HEADERS
    policy = SECURITY_HEADERS["Content-Security-Policy"].replace(
        "connect-src 'self'", f"connect-src 'self' {origin}"
    )
    return {**SECURITY_HEADERS, "Content-Security-Policy": policy}


def json_response(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status_code,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Cache-Control": "no-store",
            **SECURITY_HEADERS,
            **(headers or {}),
        },
    )


def html_response(body: str, status_code: int = 200, cache_seconds: int = 0) -> Response:
    cache = f"public, max-age={cache_seconds}" if cache_seconds else "no-store"
    return Response(
        body=body,
        status_code=status_code,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": cache,
            **page_security_headers(),
        },
    )


def error_response(status_code: int, error: str, message_key: str, **extra: Any) -> Response:
    """Return ``{"error": code, "message": {"ja", "en"}, ...}``.

    A 401 also names the scheme that the API expects (RFC 6750 section 3).
    """
    params = extra.pop("params", {})
    headers = {"WWW-Authenticate": 'Bearer realm="madoguchi"'} if status_code == 401 else None
    return json_response(
        {"error": error, "message": translate_all(message_key, **params), **extra}, status_code, headers
    )
