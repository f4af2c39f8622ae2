"""Helpers that read the parts of an HTTP request every function needs."""

from __future__ import annotations

from typing import Any


def bearer_token(request: Any) -> str | None:
    """Return the token of an ``Authorization: Bearer …`` header, or None without one.

    ``request`` is Chalice's ``app.current_request``; header names arrive lower-cased.
    """
    authorization = (request.headers or {}).get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
