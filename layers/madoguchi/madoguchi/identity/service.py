"""Identity verification flows: the My Number card through OpenID Connect, e-mail
one-time codes, prefill data, and the identity record of an application.

What is stored about a verification: the issuer, an HMAC of ``sub``, the assurance
level (``acr``), the time, the verified attributes (for prefill and matching) and
the match result. The My Number (個人番号) is never requested, and the raw ID token
is dropped once verified.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger

from madoguchi.identity import store
from madoguchi.identity.errors import IdentitySessionInvalid
from madoguchi.identity.matching import answer_field_ids, is_resident, match_identity
from madoguchi.identity.settings import get_identity_settings
from madoguchi.settings import get_settings

logger = Logger(child=True)

CARD_ATTRIBUTES = ("name", "address", "birthdate", "gender")


class IdentityNotConfigured(Exception):
    """OIDC_ISSUER or OIDC_CLIENT_ID is not set, so the card check is unavailable."""


class VerificationFailed(Exception):
    """The verification did not succeed; ``reason`` is a short code safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CardVerification:
    session_id: str
    procedure_id: str | None
    link_id: str | None


def subject_hash(issuer: str, subject: str) -> str:
    """Return HMAC-SHA256(SIGNING_SECRET, issuer and sub): stable per person, useless without the secret."""
    message = f"identity-sub:{issuer}\n{subject}".encode()
    return hmac.new(get_settings().signing_secret.encode(), message, hashlib.sha256).hexdigest()


@cache
def oidc_client() -> Any:
    """Return the process-wide relying party, which caches discovery and the JWKS.

    Raises:
        IdentityNotConfigured: no issuer or client id is configured.
    """
    from madoguchi.identity.oidc import OidcClient

    settings = get_identity_settings()
    if not settings.oidc_issuer or not settings.oidc_client_id:
        raise IdentityNotConfigured()
    redirect_uri = settings.oidc_redirect_uri or f"{get_settings().public_base_url}/identity/callback"
    return OidcClient(settings, redirect_uri)


# --- My Number card (OpenID Connect) ------------------------------------------------


def start_card_verification(
    procedure_id: str | None, link_id: str | None = None, now: datetime | None = None
) -> tuple[str, str]:
    """Store a new authorization request and return (authorization URL, session id).

    The session id goes into a cookie; state, nonce and the PKCE verifier stay in
    DynamoDB, so the callback can be completed only once and only by this browser.

    Raises:
        IdentityNotConfigured: no provider is configured.
        IdentityProviderError: the discovery document could not be fetched.
    """
    from madoguchi.identity.oidc import new_code_verifier

    now = now or datetime.now(UTC)
    client = oidc_client()
    session_id = secrets.token_urlsafe(32)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = new_code_verifier()
    url = client.authorization_url(state, nonce, verifier)

    attributes: dict[str, Any] = {"state": state, "nonce": nonce, "code_verifier": verifier}
    if procedure_id:
        attributes["procedure_id"] = procedure_id
    if link_id:
        attributes["link_id"] = link_id
    ttl = timedelta(seconds=get_identity_settings().identity_session_ttl_seconds)
    store.put_item(session_id, "AUTHORIZATION", attributes, now + ttl)
    return url, session_id


def complete_card_verification(
    session_id: str, state: str, code: str, now: datetime | None = None
) -> CardVerification:
    """Verify the provider's response and store a verified session.

    Steps (OIDC Core 3.1.2.5 to 3.1.3.7): take the single-use authorization request,
    compare ``state``, redeem the code with the PKCE verifier and a client assertion,
    verify the ID token (signature, iss, aud, exp, iat, nonce), check ``acr``, read
    the attributes from the ID token or UserInfo, then store what is kept.

    Raises:
        VerificationFailed: with reason ``unknown_session``, ``state_mismatch``,
            ``acr_not_satisfied`` or the ID token check that failed.
        IdentityProviderError: the provider is unreachable or answered with an error.
    """
    from madoguchi.identity.oidc import IdTokenInvalid

    now = now or datetime.now(UTC)
    settings = get_identity_settings()
    client = oidc_client()
    try:
        request = store.take_item(session_id, "AUTHORIZATION", now)
    except store.IdentityItemNotFound:
        raise VerificationFailed("unknown_session") from None
    if not secrets.compare_digest(str(request["state"]), state):
        raise VerificationFailed("state_mismatch")

    tokens = client.exchange_code(code, request["code_verifier"])
    try:
        claims = client.verify_id_token(tokens.id_token, request["nonce"])
    except IdTokenInvalid as exc:
        raise VerificationFailed(exc.reason) from exc
    requested_acr = settings.oidc_acr_values.split()
    if requested_acr and claims.get("acr") not in requested_acr:
        raise VerificationFailed("acr_not_satisfied")

    source = claims
    if settings.oidc_attribute_source == "userinfo":
        if not tokens.access_token:
            raise VerificationFailed("missing_access_token")
        source = client.userinfo(tokens.access_token, claims["sub"])

    verified_id = secrets.token_urlsafe(32)
    item = {
        "level": "my_number_card",
        "issuer": claims["iss"],
        "subject_hash": subject_hash(claims["iss"], claims["sub"]),
        "acr": claims.get("acr", ""),
        "verified_at": now.isoformat(),
        "attributes": _card_attributes(source),
    }
    if request.get("procedure_id"):
        item["procedure_id"] = request["procedure_id"]
    ttl = timedelta(seconds=settings.identity_session_ttl_seconds)
    store.put_item(verified_id, "VERIFIED", item, now + ttl)
    logger.info("identity verified", extra={"level": "my_number_card", "acr": item["acr"]})
    return CardVerification(verified_id, request.get("procedure_id"), request.get("link_id"))


def _card_attributes(claims: dict[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for name in CARD_ATTRIBUTES:
        value = claims.get(name)
        # OIDC Core 5.1.1 defines address as an object; some providers send a string.
        if name == "address" and isinstance(value, dict):
            value = value.get("formatted")
        if isinstance(value, str) and value:
            attributes[name] = value
    return attributes


# --- E-mail one-time code --------------------------------------------------------------


def send_email_code(procedure_id: str, email: str, locale: str, now: datetime | None = None) -> tuple[str, datetime]:
    """E-mail a 6-digit code and return (session id, expiry).

    NOTE: codes are limited per session only; a limit per address and per client
    (against mail bombing) is still missing and belongs in a WAF rate rule.
    """
    from madoguchi.notifications import render_email, send_email

    now = now or datetime.now(UTC)
    settings = get_identity_settings()
    session_id = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires_at = now + timedelta(seconds=settings.email_code_ttl_seconds)
    store.put_item(
        session_id,
        "EMAIL_CODE",
        {"code_hash": _code_hash(session_id, code), "email": email, "procedure_id": procedure_id, "attempts": 0},
        expires_at,
    )
    minutes = settings.email_code_ttl_seconds // 60
    send_email(render_email("identity_code", locale, [email], code=code, minutes=minutes), purpose="identity_code")
    return session_id, expires_at


def verify_email_code(session_id: str, code: str, now: datetime | None = None) -> str:
    """Check a code; on success store a verified session and return its id.

    Each call uses one attempt before comparing, so parallel guesses cannot exceed
    EMAIL_CODE_MAX_ATTEMPTS.

    Raises:
        VerificationFailed: ``code_expired`` (expired, used or no attempts left) or
            ``code_wrong``.
    """
    now = now or datetime.now(UTC)
    settings = get_identity_settings()
    try:
        item = store.count_code_attempt(session_id, settings.email_code_max_attempts, now)
    except store.IdentityItemNotFound:
        raise VerificationFailed("code_expired") from None
    if not hmac.compare_digest(item["code_hash"], _code_hash(session_id, code.strip())):
        raise VerificationFailed("code_wrong")
    try:
        store.take_item(session_id, "EMAIL_CODE", now)
    except store.IdentityItemNotFound:
        raise VerificationFailed("code_expired") from None

    verified_id = secrets.token_urlsafe(32)
    store.put_item(
        verified_id,
        "VERIFIED",
        {
            "level": "email",
            "verified_at": now.isoformat(),
            "attributes": {"email": item["email"]},
            "procedure_id": item["procedure_id"],
        },
        now + timedelta(seconds=settings.identity_session_ttl_seconds),
    )
    logger.info("identity verified", extra={"level": "email"})
    return verified_id


def _code_hash(session_id: str, code: str) -> str:
    message = f"identity-email-code:{session_id}:{code}".encode()
    return hmac.new(get_settings().signing_secret.encode(), message, hashlib.sha256).hexdigest()


# --- Prefill and the application's identity record -------------------------------------


def prefill_view(session_id: str, definition: Any, now: datetime | None = None) -> dict[str, Any]:
    """Return the verified attributes of a session and the form fields they fill.

    Raises:
        IdentitySessionInvalid: unknown, expired or for another procedure.
    """
    now = now or datetime.now(UTC)
    session = _verified_session(session_id, definition.id, now)
    attributes = dict(session.get("attributes") or {})
    fields = {attribute: field_id for attribute, field_id in answer_field_ids(definition).items()}
    if "email" in attributes:
        email_field = next((f.id for f in definition.fields if f.type == "email"), None)
        if email_field:
            fields["email"] = email_field
    view: dict[str, Any] = {
        "level": session["level"],
        "verified_at": session["verified_at"],
        "attributes": attributes,
        "fields": {attribute: fields[attribute] for attribute in attributes if attribute in fields},
    }
    if definition.residents_only and "address" in attributes:
        view["resident"] = is_resident(attributes["address"], get_identity_settings().resident_prefecture)
    return view


def _verified_session(session_id: str, procedure_id: str, now: datetime) -> dict[str, Any]:
    try:
        session = store.get_item(session_id, "VERIFIED", now)
    except store.IdentityItemNotFound:
        raise IdentitySessionInvalid() from None
    if session.get("procedure_id") not in (None, procedure_id):
        raise IdentitySessionInvalid()
    return session


def identity_for_submission(
    definition: Any,
    answers: dict[str, Any],
    session_id: str | None,
    reference_number: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return the ``identity`` object stored on a new application.

    Without a session the state is ``not_required`` or ``pending`` (the workflow then
    asks the applicant). With one, the session is bound to this application and the
    match result is recorded.

    Raises:
        IdentitySessionInvalid: the session cannot be used for this application.
    """
    now = now or datetime.now(UTC)
    if definition.identity == "none" and not session_id:
        return {"level": "none", "state": "not_required"}
    if not session_id:
        return {"level": definition.identity, "state": "pending"}

    _verified_session(session_id, definition.id, now)
    try:
        session = store.claim_verified_session(session_id, reference_number, now)
    except store.IdentityItemNotFound:
        raise IdentitySessionInvalid() from None
    return identity_record(definition, answers, session)


def identity_record(definition: Any, answers: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    """Return what an application keeps about a verified session and its match result."""
    attributes = dict(session.get("attributes") or {})
    if session["level"] == "email":
        typed = str(answers.get("email", ""))
        same = typed.strip().casefold() == attributes.get("email", "").casefold()
        match = {
            "outcome": "matched" if same else "mismatched",
            "differences": [] if same else [{"attribute": "email", "typed": typed, "verified": attributes.get("email", "")}],
            "checked": ["email"],
        }
    else:
        prefecture = get_identity_settings().resident_prefecture
        match = match_identity(definition, answers, attributes, prefecture).as_dict()

    record: dict[str, Any] = {
        "level": session["level"],
        "required_level": definition.identity,
        "state": "verified",
        "verified_at": session["verified_at"],
        "match": match,
    }
    for name in ("issuer", "subject_hash", "acr"):
        if session.get(name):
            record[name] = session[name]
    if attributes.get("name"):
        # Kept exactly as verified, next to the typed name in the answers.
        record["verified_name"] = attributes["name"]
    return record
