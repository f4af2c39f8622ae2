"""Helpers that read the parts of an HTTP request every function needs."""

from __future__ import annotations

import hmac
import os
from typing import Any


def bearer_token(request: Any) -> str | None:
    """Return the token of an ``Authorization: Bearer …`` header, or None without one.

    ``request`` is Chalice's ``app.current_request``; header names arrive lower-cased.
    """
    authorization = (request.headers or {}).get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def staff_token_problem(request: Any) -> str | None:
    """Return None when the request carries the staff token, else the error code to return.

    The code is ``staff_token_required`` without a bearer token and
    ``staff_token_invalid`` with another one; the ``api`` catalog has a message for each.
    NOTE: the staff JSON APIs accept the one shared STAFF_API_TOKEN; staff pages use
    OpenID Connect sign-in instead.
    """
    expected = os.environ.get("STAFF_API_TOKEN", "")
    token = bearer_token(request)
    if not token:
        return "staff_token_required"
    if not expected or not hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
        return "staff_token_invalid"
    return None
