"""OpenID Connect relying party: discovery, authorization request with PKCE,
token request with ``private_key_jwt``, ID token verification and userinfo.

Follows OpenID Connect Core 1.0 (https://openid.net/specs/openid-connect-core-1_0.html),
RFC 7636 (PKCE) and RFC 7523 (JWT client authentication), which is the profile of
デジタル認証アプリ: authorization code flow, PKCE S256, state and nonce, acr_values,
private_key_jwt and ES256-signed ID tokens. Any provider that publishes a discovery
document and follows the same specifications works.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from madoguchi.identity.settings import IdentitySettings


class IdentityProviderError(Exception):
    """The provider could not be reached or answered with an error or an invalid document."""


class IdTokenInvalid(Exception):
    """The ID token failed verification; ``reason`` names the failed check."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the discovery document (OpenID Connect Discovery 1.0) that are used."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


@dataclass(frozen=True)
class TokenResponse:
    id_token: str
    access_token: str | None


def new_code_verifier() -> str:
    """Return a PKCE code verifier: 43 characters from 32 random bytes (RFC 7636 section 4.1)."""
    return secrets.token_urlsafe(32)


def code_challenge_s256(verifier: str) -> str:
    """Return BASE64URL(SHA256(verifier)) without padding (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _http_json(
    url: str, timeout: float, data: dict[str, str] | None = None, bearer: str | None = None
) -> Any:
    """GET (or POST a form to) ``url`` and return the JSON body.

    Raises:
        IdentityProviderError: connection failure, non-2xx status or a body that is not JSON.
    """
    headers = {"Accept": "application/json"}
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data).encode("ascii")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
    except urllib.error.HTTPError as exc:
        raise IdentityProviderError(f"{url} returned HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise IdentityProviderError(f"{url} could not be reached: {type(exc).__name__}") from exc
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise IdentityProviderError(f"{url} returned a body that is not JSON") from exc


@dataclass
class JwksCache:
    """The provider's signing keys, refetched when a token names an unknown ``kid``.

    Refetches caused by unknown kids are at most one per ``min_refresh_seconds``, so a
    flood of tokens with made-up kids cannot turn into a flood of JWKS requests.
    """

    jwks_uri: str
    min_refresh_seconds: float
    timeout: float
    _key_set: Any = None
    _fetched_at: float = float("-inf")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key_for(self, kid: str | None) -> Any:
        """Return the key with ``kid`` (the only key when the token has no kid).

        Raises:
            IdTokenInvalid: ``unknown_kid`` when the key is missing even after a refetch.
            IdentityProviderError: the JWKS could not be fetched.
        """
        with self._lock:
            if self._key_set is None:
                self._refresh()
            key = self._find(kid)
            if key is None and time.monotonic() - self._fetched_at >= self.min_refresh_seconds:
                self._refresh()
                key = self._find(kid)
        if key is None:
            raise IdTokenInvalid("unknown_kid")
        return key

    def _find(self, kid: str | None) -> Any:
        keys = self._key_set.keys
        if kid is None:
            return keys[0] if len(keys) == 1 else None
        return next((key for key in keys if key.kid == kid), None)

    def _refresh(self) -> None:
        from joserfc.jwk import KeySet

        document = _http_json(self.jwks_uri, self.timeout)
        try:
            self._key_set = KeySet.import_key_set(document)
        except (ValueError, KeyError, TypeError) as exc:
            raise IdentityProviderError("the JWKS document is invalid") from exc
        self._fetched_at = time.monotonic()


class OidcClient:
    """Relying party of one provider; one instance per process keeps discovery and JWKS cached."""

    def __init__(self, settings: IdentitySettings, redirect_uri: str) -> None:
        if not settings.oidc_issuer or not settings.oidc_client_id:
            raise IdentityProviderError("OIDC_ISSUER and OIDC_CLIENT_ID must be set")
        self.settings = settings
        self.redirect_uri = redirect_uri
        self._metadata: ProviderMetadata | None = None
        self._jwks: JwksCache | None = None
        self._lock = threading.Lock()

    # --- Discovery -----------------------------------------------------------------

    def metadata(self) -> ProviderMetadata:
        """Fetch the discovery document once and check that its issuer is the configured one.

        Raises:
            IdentityProviderError: unreachable, invalid, or a different issuer.
        """
        with self._lock:
            if self._metadata is None:
                self._metadata = self._discover()
            return self._metadata

    def _discover(self) -> ProviderMetadata:
        issuer = self.settings.oidc_issuer.rstrip("/")
        document = _http_json(f"{issuer}/.well-known/openid-configuration", self.settings.oidc_http_timeout_seconds)
        if not isinstance(document, dict) or document.get("issuer") != self.settings.oidc_issuer:
            raise IdentityProviderError("the discovery document names a different issuer")
        try:
            return ProviderMetadata(
                issuer=document["issuer"],
                authorization_endpoint=document["authorization_endpoint"],
                token_endpoint=document["token_endpoint"],
                jwks_uri=document["jwks_uri"],
                userinfo_endpoint=document.get("userinfo_endpoint"),
            )
        except KeyError as exc:
            raise IdentityProviderError(f"the discovery document lacks {exc.args[0]}") from exc

    def jwks(self) -> JwksCache:
        metadata = self.metadata()
        with self._lock:
            if self._jwks is None:
                self._jwks = JwksCache(
                    metadata.jwks_uri,
                    self.settings.oidc_jwks_min_refresh_seconds,
                    self.settings.oidc_http_timeout_seconds,
                )
            return self._jwks

    # --- Authorization request ----------------------------------------------------

    def authorization_url(self, state: str, nonce: str, code_verifier: str) -> str:
        """Return the URL that sends the browser to the provider's authorization endpoint."""
        parameters = {
            "response_type": "code",
            "client_id": self.settings.oidc_client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge_s256(code_verifier),
            "code_challenge_method": "S256",
        }
        if self.settings.oidc_acr_values:
            parameters["acr_values"] = self.settings.oidc_acr_values
        endpoint = self.metadata().authorization_endpoint
        separator = "&" if "?" in endpoint else "?"
        return endpoint + separator + urllib.parse.urlencode(parameters, quote_via=urllib.parse.quote)

    # --- Token request --------------------------------------------------------------

    def exchange_code(self, code: str, code_verifier: str) -> TokenResponse:
        """Redeem an authorization code at the token endpoint.

        Raises:
            IdentityProviderError: the provider rejected the request or is unreachable.
        """
        metadata = self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": code_verifier,
            "client_id": self.settings.oidc_client_id,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": self.client_assertion(metadata.token_endpoint),
        }
        body = _http_json(metadata.token_endpoint, self.settings.oidc_http_timeout_seconds, data=form)
        if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            raise IdentityProviderError("the token response has no id_token")
        access_token = body.get("access_token")
        return TokenResponse(body["id_token"], access_token if isinstance(access_token, str) else None)

    def client_assertion(self, audience: str) -> str:
        """Return a client assertion JWT signed with the client's private key (RFC 7523 section 3)."""
        from joserfc import jwt
        from joserfc.jwk import JWKRegistry

        key = JWKRegistry.import_key(json.loads(self.settings.oidc_client_private_key.get_secret_value()))
        now = int(time.time())
        claims = {
            "iss": self.settings.oidc_client_id,
            "sub": self.settings.oidc_client_id,
            "aud": audience,
            "jti": secrets.token_urlsafe(16),
            "iat": now,
            "exp": now + 60,
        }
        algorithm = key.get("alg") or "ES256"
        header = {"alg": algorithm, "typ": "JWT"}
        if key.kid:
            header["kid"] = key.kid
        return jwt.encode(header, claims, key, algorithms=[algorithm])

    # --- ID token -----------------------------------------------------------------------

    def verify_id_token(self, id_token: str, nonce: str, now: float | None = None) -> dict[str, Any]:
        """Verify the signature and the claims of an ID token (OIDC Core section 3.1.3.7).

        Raises:
            IdTokenInvalid: with ``reason`` one of ``malformed``, ``algorithm_not_allowed``,
                ``unknown_kid``, ``bad_signature``, ``wrong_issuer``, ``wrong_audience``,
                ``wrong_azp``, ``expired``, ``issued_in_future``, ``missing_claim``,
                ``wrong_nonce``.
            IdentityProviderError: the JWKS could not be fetched.
        """
        from joserfc import jwt
        from joserfc.errors import JoseError

        now = time.time() if now is None else now
        skew = self.settings.oidc_clock_skew_seconds
        header = _unverified_header(id_token)
        algorithm = header.get("alg")
        # Checked before any key lookup so that "none" and HS256 with the public key
        # as secret never reach the JOSE library.
        if algorithm not in self.settings.allowed_algorithms:
            raise IdTokenInvalid("algorithm_not_allowed")
        key = self.jwks().key_for(header.get("kid"))
        try:
            token = jwt.decode(id_token, key, algorithms=self.settings.allowed_algorithms)
        except JoseError as exc:
            raise IdTokenInvalid("bad_signature") from exc
        claims = dict(token.claims)

        for name in ("iss", "sub", "aud", "exp", "iat"):
            if name not in claims:
                raise IdTokenInvalid("missing_claim")
        if claims["iss"] != self.metadata().issuer:
            raise IdTokenInvalid("wrong_issuer")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if self.settings.oidc_client_id not in audiences:
            raise IdTokenInvalid("wrong_audience")
        if len(audiences) > 1 and claims.get("azp") != self.settings.oidc_client_id:
            raise IdTokenInvalid("wrong_azp")
        if not _is_number(claims["exp"]) or claims["exp"] + skew <= now:
            raise IdTokenInvalid("expired")
        if not _is_number(claims["iat"]) or claims["iat"] - skew > now:
            raise IdTokenInvalid("issued_in_future")
        if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
            raise IdTokenInvalid("wrong_nonce")
        return claims

    # --- UserInfo -------------------------------------------------------------------------

    def userinfo(self, access_token: str, expected_sub: str) -> dict[str, Any]:
        """Fetch the UserInfo claims; their ``sub`` must equal the ID token's (OIDC Core 5.3.2).

        Raises:
            IdentityProviderError: no endpoint, the request failed or ``sub`` differs.
        """
        endpoint = self.metadata().userinfo_endpoint
        if not endpoint:
            raise IdentityProviderError("the provider has no userinfo_endpoint")
        claims = _http_json(endpoint, self.settings.oidc_http_timeout_seconds, bearer=access_token)
        if not isinstance(claims, dict) or claims.get("sub") != expected_sub:
            raise IdentityProviderError("the userinfo response names a different subject")
        return claims


def _unverified_header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise IdTokenInvalid("malformed")
    try:
        padded = parts[0] + "=" * (-len(parts[0]) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError as exc:
        raise IdTokenInvalid("malformed") from exc
    if not isinstance(header, dict):
        raise IdTokenInvalid("malformed")
    return header


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
