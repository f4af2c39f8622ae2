"""Signed staff session cookies and the OpenID Connect sign-in that creates them.

A cookie value is ``base64url(JSON payload) "." base64url(HMAC-SHA256)``, keyed with
SIGNING_SECRET under its own label, so no server-side session store is needed. The
payload contains the e-mail, name, roles and expiry. A changed byte or a passed
expiry makes the cookie invalid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from madoguchi.settings import get_settings
from madoguchi.staff.settings import get_staff_settings

SESSION_COOKIE = "madoguchi_staff"
LOGIN_COOKIE = "madoguchi_staff_login"
LOGIN_TTL_SECONDS = 600


class StaffSignInFailed(Exception):
    """The provider's response did not verify; ``reason`` is a short code safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StaffSignInNotConfigured(Exception):
    """STAFF_OIDC_ISSUER or STAFF_OIDC_CLIENT_ID is not set."""


@dataclass(frozen=True)
class StaffSession:
    email: str
    name: str
    roles: tuple[str, ...]
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(label: str, payload: str) -> str:
    key = get_settings().signing_secret.encode()
    return _b64(hmac.new(key, f"{label}:{payload}".encode(), hashlib.sha256).digest())


def sign_value(label: str, document: dict[str, Any]) -> str:
    payload = _b64(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode())
    return f"{payload}.{_mac(label, payload)}"


def read_signed_value(label: str, value: str | None, now: float | None = None) -> dict[str, Any] | None:
    """Return the document of a signed value, or None when it is forged, malformed or expired."""
    if not value or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    if not hmac.compare_digest(_mac(label, payload), mac):
        return None
    try:
        document = json.loads(_unb64(payload))
    except ValueError:
        return None
    now = time.time() if now is None else now
    if not isinstance(document, dict) or not isinstance(document.get("exp"), int) or document["exp"] <= now:
        return None
    return document


def new_session_cookie_value(email: str, name: str, roles: list[str], now: float | None = None) -> str:
    now = time.time() if now is None else now
    expires = int(now) + get_staff_settings().staff_session_ttl_seconds
    return sign_value("staff-session", {"email": email, "name": name, "roles": roles, "exp": expires})


def read_session(value: str | None, now: float | None = None) -> StaffSession | None:
    document = read_signed_value("staff-session", value, now)
    if document is None:
        return None
    roles = document.get("roles")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        return None
    return StaffSession(
        email=str(document.get("email", "")),
        name=str(document.get("name", "")),
        roles=tuple(roles),
        expires_at=document["exp"],
    )


@cache
def staff_oidc_client() -> Any:
    """Return the relying party of the staff provider (the residents' client class,
    configured with the STAFF_OIDC_* settings).

    Raises:
        StaffSignInNotConfigured: no issuer or client id is configured.
    """
    from madoguchi.identity.oidc import OidcClient
    from madoguchi.identity.settings import IdentitySettings, get_identity_settings

    staff = get_staff_settings()
    if not staff.staff_oidc_issuer or not staff.staff_oidc_client_id:
        raise StaffSignInNotConfigured()
    settings = IdentitySettings(
        oidc_issuer=staff.staff_oidc_issuer,
        oidc_client_id=staff.staff_oidc_client_id,
        oidc_client_private_key=staff.staff_oidc_client_private_key,
        oidc_scopes=staff.staff_oidc_scopes,
        oidc_acr_values="",
        oidc_attribute_source="id_token",
        # The refetch limit after a key rotation is the residents' provider setting too.
        oidc_jwks_min_refresh_seconds=get_identity_settings().oidc_jwks_min_refresh_seconds,
    )
    redirect_uri = staff.staff_oidc_redirect_uri or f"{get_settings().public_base_url}/staff/callback"
    return OidcClient(settings, redirect_uri)


def start_sign_in(now: float | None = None) -> tuple[str, str]:
    """Return (authorization URL, signed login cookie value holding state, nonce and
    the PKCE verifier).

    Raises:
        StaffSignInNotConfigured: no provider is configured.
        IdentityProviderError: the discovery document could not be fetched.
    """
    from madoguchi.identity.oidc import new_code_verifier

    now = time.time() if now is None else now
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = new_code_verifier()
    url = staff_oidc_client().authorization_url(state, nonce, verifier)
    cookie = sign_value(
        "staff-login",
        {"state": state, "nonce": nonce, "verifier": verifier, "exp": int(now) + LOGIN_TTL_SECONDS},
    )
    return url, cookie


def complete_sign_in(login_cookie: str | None, state: str, code: str) -> tuple[StaffSession, str]:
    """Verify the provider's redirect; return the staff session and its cookie value.

    Steps: read the signed login cookie, compare ``state``, redeem the code with the
    PKCE verifier and a client assertion, verify the ID token (signature, iss, aud,
    exp, iat, nonce), then take the e-mail and the role claim.

    Raises:
        StaffSignInFailed: ``no_login``, ``state_mismatch``, ``no_role`` or the ID
            token check that failed.
        IdentityProviderError: the provider is unreachable or returned an error.
    """
    from madoguchi.identity.oidc import IdTokenInvalid

    login = read_signed_value("staff-login", login_cookie)
    if login is None:
        raise StaffSignInFailed("no_login")
    if not secrets.compare_digest(str(login.get("state", "")), state):
        raise StaffSignInFailed("state_mismatch")
    client = staff_oidc_client()
    tokens = client.exchange_code(code, login["verifier"])
    try:
        claims = client.verify_id_token(tokens.id_token, login["nonce"])
    except IdTokenInvalid as exc:
        raise StaffSignInFailed(exc.reason) from exc
    role_claim = claims.get(get_staff_settings().staff_oidc_role_claim)
    roles = [role_claim] if isinstance(role_claim, str) else role_claim
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r for r in roles):
        raise StaffSignInFailed("no_role")
    value = new_session_cookie_value(str(claims.get("email", "")), str(claims.get("name", "")), roles)
    session = read_session(value)
    if session is None:
        raise StaffSignInFailed("session_invalid")
    return session, value


def session_cookie_header(value: str, max_age: int) -> str:
    secure = "; Secure" if get_settings().public_base_url.startswith("https://") else ""
    return f"{SESSION_COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"


def login_cookie_header(value: str, max_age: int) -> str:
    secure = "; Secure" if get_settings().public_base_url.startswith("https://") else ""
    return f"{LOGIN_COOKIE}={value}; Max-Age={max_age}; Path=/staff/; HttpOnly; SameSite=Lax{secure}"
