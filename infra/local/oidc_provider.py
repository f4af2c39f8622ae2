"""Local OpenID Connect provider for ``make run`` and the tests, on 127.0.0.1 only.

It plays デジタル認証アプリ closely enough to exercise the relying party: discovery,
JWKS, an authorization page where you pick a test person, a token endpoint that
verifies private_key_jwt client assertions and PKCE (S256), UserInfo, and ES256 ID
tokens with a per-client ``sub``. ``rotate_signing_key`` (or ``POST /rotate``)
switches to a new signing key, as a provider does during key rotation. Nothing here
is a secure provider: codes and tokens live in memory and every person is fictional.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

# Fictional people. Names use the variant characters that residents' registers
# contain (髙, 﨑, 齋, 邊), a foreign resident is written in Latin capitals as on the
# residence card, and one person lives outside 栃木県.
TEST_PEOPLE: dict[str, dict[str, str]] = {
    "takahashi": {"name": "髙橋 﨑子", "birthdate": "2001-05-20", "gender": "female",
                  "address": "栃木県宇都宮市塙田一丁目1番20号"},
    "yamasaki": {"name": "山﨑 太郎", "birthdate": "1998-04-01", "gender": "male",
                 "address": "栃木県宇都宮市塙田一丁目1番20号"},
    "saito": {"name": "齋藤 邊", "birthdate": "1985-11-03", "gender": "male",
              "address": "栃木県日光市今市本町1番地"},
    "watanabe": {"name": "渡邊 花子", "birthdate": "1990-02-28", "gender": "female",
                 "address": "栃木県小山市中央町一丁目1番1号"},
    "smith": {"name": "SMITH JOHN", "birthdate": "1988-07-14", "gender": "male",
              "address": "栃木県那須塩原市共墾社119番地1"},
    "non-resident": {"name": "佐藤 一郎", "birthdate": "1979-09-09", "gender": "male",
                     "address": "東京都千代田区永田町一丁目7番1号"},
}

# Staff accounts for the staff sign-in, one per approver role of the local stack's
# approvers (infra/local/stack.py); each carries a role claim.
STAFF_PEOPLE: dict[str, dict[str, str]] = {
    "staff-shizen": {"name": "自然 環子", "email": "shizen-tanto@example.pref.lg.jp", "role": "nature-conservation-staff"},
    "staff-shizen-head": {"name": "森山 茂", "email": "shizen-kacho@example.pref.lg.jp", "role": "nature-conservation-head"},
    "staff-seikatsu": {"name": "生活 衛子", "email": "seikatsu-tanto@example.pref.lg.jp", "role": "environmental-health-staff"},
    "staff-seikatsu-chief": {"name": "衛藤 誠", "email": "seikatsu-kakaricho@example.pref.lg.jp", "role": "environmental-health-chief"},
    "staff-seikatsu-head": {"name": "生田 真理", "email": "seikatsu-kacho@example.pref.lg.jp", "role": "environmental-health-head"},
    "staff-hokenjo": {"name": "保坂 健", "email": "hokenjo-tanto@example.pref.lg.jp", "role": "health-centre-staff"},
}

_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Scopes of the My Number card check; a request without them is a staff sign-in.
_RESIDENT_SCOPES = frozenset({"name", "address", "birthdate", "gender"})


def _asks_for_staff(params: Any) -> bool:
    """Return whether an authorization request is a staff sign-in rather than a resident's check."""
    return not _RESIDENT_SCOPES & set(params.get("scope", "").split())


@dataclass
class _Client:
    public_key: Any
    redirect_uris: list[str] = field(default_factory=list)


class LocalOidcProvider:
    """WSGI application of the provider; ``issuer`` is set once the server has a port."""

    def __init__(self) -> None:
        from joserfc.jwk import ECKey

        self.issuer = ""
        self._keys: list[Any] = [ECKey.generate_key("P-256", parameters={"kid": self._new_kid(), "alg": "ES256", "use": "sig"})]
        self._clients: dict[str, _Client] = {}
        self._codes: dict[str, dict[str, Any]] = {}
        self._access_tokens: dict[str, dict[str, Any]] = {}
        self._used_assertion_ids: set[str] = set()
        self._lock = threading.Lock()
        # Test switches: make UserInfo fail with this HTTP status; override ID token claims.
        self.userinfo_failure_status: int | None = None
        self.id_token_overrides: dict[str, Any] = {}
        self.acr = "aal3"

    # --- Setup used by the stack and the tests -----------------------------------------

    @staticmethod
    def _new_kid() -> str:
        return "local-" + secrets.token_hex(4)

    def register_client(self, client_id: str, redirect_uris: list[str] | None = None) -> dict[str, Any]:
        """Register a client and return its new private JWK (the client keeps it)."""
        from joserfc.jwk import ECKey

        key = ECKey.generate_key("P-256", parameters={"kid": f"{client_id}-1", "alg": "ES256"})
        public = ECKey.import_key(key.as_dict(private=False))
        with self._lock:
            self._clients[client_id] = _Client(public, list(redirect_uris or []))
        return key.as_dict(private=True)

    def add_redirect_uri(self, client_id: str, redirect_uri: str) -> None:
        with self._lock:
            self._clients[client_id].redirect_uris.append(redirect_uri)

    def rotate_signing_key(self, keep_previous: bool = False) -> str:
        """Sign with a new key from now on and return its kid; the old key stays in the
        JWKS only when ``keep_previous`` is true."""
        from joserfc.jwk import ECKey

        key = ECKey.generate_key("P-256", parameters={"kid": self._new_kid(), "alg": "ES256", "use": "sig"})
        with self._lock:
            self._keys = [key, *self._keys[:1]] if keep_previous else [key]
        return key.kid

    @property
    def signing_key(self) -> Any:
        return self._keys[0]

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None, key: Any = None) -> str:
        """Sign ``claims`` as an ID token with the current key (tests craft tokens with it)."""
        from joserfc import jwt

        key = key or self.signing_key
        protected = {"alg": "ES256", "typ": "JWT", "kid": key.kid, **(header or {})}
        return jwt.encode(protected, claims, key, algorithms=[protected["alg"]])

    def subject_for(self, person_id: str, client_id: str) -> str:
        """Return the per-client ``sub`` of a person, as デジタル認証アプリ issues one per service."""
        return hashlib.sha256(f"{client_id}:{person_id}".encode()).hexdigest()

    def discovery_document(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "name", "address", "birthdate", "gender"],
            "acr_values_supported": ["aal3"],
            "claims_supported": ["sub", "name", "address", "birthdate", "gender", "acr"],
        }

    # --- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        routes = {
            ("GET", "/.well-known/openid-configuration"): lambda r: _json(self.discovery_document()),
            ("GET", "/jwks"): lambda r: _json({"keys": [k.as_dict(private=False) for k in self._keys]}),
            ("GET", "/authorize"): self._authorize_page,
            ("POST", "/authorize"): self._authorize_decision,
            ("POST", "/token"): self._token,
            ("GET", "/userinfo"): self._userinfo,
            ("POST", "/rotate"): lambda r: _json({"kid": self.rotate_signing_key(r.args.get("keep") == "1")}),
        }
        handler = routes.get((request.method, request.path))
        response = handler(request) if handler else _json({"error": "not_found"}, 404)
        return response(environ, start_response)

    def _check_authorization_request(self, params: Any) -> str | None:
        client = self._clients.get(params.get("client_id", ""))
        if client is None:
            return "unknown client_id"
        if params.get("redirect_uri") not in client.redirect_uris:
            return "redirect_uri is not registered for this client"
        if params.get("response_type") != "code":
            return "response_type must be code"
        if "openid" not in params.get("scope", "").split():
            return "scope must contain openid"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE with code_challenge_method=S256 is required"
        if not params.get("state") or not params.get("nonce"):
            return "state and nonce are required"
        return None

    def _authorize_page(self, request: Request) -> Response:
        problem = self._check_authorization_request(request.args)
        if problem:
            return Response(f"invalid authorization request: {problem}", 400, content_type="text/plain; charset=utf-8")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in request.args.items()
        )
        if _asks_for_staff(request.args):
            buttons = "".join(
                f'<li><button type="submit" name="person" value="{pid}">{html.escape(p["name"])}（職員・'
                f'{html.escape(p["role"])}）</button></li>'
                for pid, p in STAFF_PEOPLE.items()
            )
        else:
            buttons = "".join(
                f'<li><button type="submit" name="person" value="{pid}">{html.escape(p["name"])}'
                f'（{html.escape(p["birthdate"])}・{html.escape(p["address"])}）</button></li>'
                for pid, p in TEST_PEOPLE.items()
            )
        page = (
            '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>ローカル本人確認 Local identity provider</title></head><body><main>"
            "<h1>ローカル本人確認（テスト用） Local identity provider</h1>"
            "<p>マイナンバーカードの代わりに、テスト用の人物を選んでください。"
            " Pick a fictional person instead of a My Number card.</p>"
            f'<form method="post" action="{self.issuer}/authorize">{hidden}<ul>{buttons}</ul>'
            '<p><button type="submit" name="cancel" value="1">キャンセル Cancel</button></p></form>'
            "</main></body></html>"
        )
        return Response(page, content_type="text/html; charset=utf-8")

    def _authorize_decision(self, request: Request) -> Response:
        params = request.form
        problem = self._check_authorization_request(params)
        if problem:
            return Response(f"invalid authorization request: {problem}", 400, content_type="text/plain; charset=utf-8")
        redirect_uri = params["redirect_uri"]
        people = STAFF_PEOPLE if _asks_for_staff(params) else TEST_PEOPLE
        if params.get("cancel") or params.get("person") not in people:
            query = urlencode({"error": "access_denied", "state": params["state"]})
            return Response(status=302, headers={"Location": f"{redirect_uri}?{query}"})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "client_id": params["client_id"],
                "redirect_uri": redirect_uri,
                "nonce": params["nonce"],
                "code_challenge": params["code_challenge"],
                "person": params["person"],
                "scope": params.get("scope", ""),
                "expires": time.time() + 60,
            }
        query = urlencode({"code": code, "state": params["state"]})
        return Response(status=302, headers={"Location": f"{redirect_uri}?{query}"})

    def _verify_client_assertion(self, form: Any) -> str | None:
        """Return the authenticated client id, or None (RFC 7523 section 3)."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        if form.get("client_assertion_type") != _ASSERTION_TYPE:
            return None
        assertion = form.get("client_assertion", "")
        client_id = form.get("client_id", "")
        client = self._clients.get(client_id)
        if client is None:
            return None
        try:
            claims = jwt.decode(assertion, client.public_key, algorithms=["ES256"]).claims
        except (JoseError, ValueError):
            return None
        audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
        now = time.time()
        if (
            claims.get("iss") != client_id
            or claims.get("sub") != client_id
            or not ({f"{self.issuer}/token", self.issuer} & set(audiences))
            or not isinstance(claims.get("exp"), int | float)
            or claims["exp"] < now
            or not claims.get("jti")
        ):
            return None
        with self._lock:
            if claims["jti"] in self._used_assertion_ids:
                return None
            self._used_assertion_ids.add(claims["jti"])
        return client_id

    def _token(self, request: Request) -> Response:
        form = request.form
        client_id = self._verify_client_assertion(form)
        if client_id is None:
            return _json({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code":
            return _json({"error": "unsupported_grant_type"}, 400)
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or grant["expires"] < time.time()
            or grant["client_id"] != client_id
            or grant["redirect_uri"] != form.get("redirect_uri")
        ):
            return _json({"error": "invalid_grant"}, 400)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if not secrets.compare_digest(challenge, grant["code_challenge"]):
            return _json({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)

        person_id = grant["person"]
        claims = self._person_claims(person_id, grant["scope"])
        now = int(time.time())
        id_token_claims = {
            "iss": self.issuer,
            "sub": self.subject_for(person_id, client_id),
            "aud": client_id,
            "exp": now + 300,
            "iat": now,
            "auth_time": now,
            "nonce": grant["nonce"],
            "acr": self.acr,
            **claims,
            **self.id_token_overrides,
        }
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = {"sub": id_token_claims["sub"], **claims}
        return _json(
            {"access_token": access_token, "token_type": "Bearer", "expires_in": 300, "id_token": self.sign(id_token_claims)}
        )

    def _person_claims(self, person_id: str, scope: str) -> dict[str, Any]:
        person = {**TEST_PEOPLE, **STAFF_PEOPLE}[person_id]
        scopes = set(scope.split())
        claims: dict[str, Any] = {}
        for name in ("name", "birthdate", "gender"):
            if name in scopes and name in person:
                claims[name] = person[name]
        # The standard OpenID Connect "profile" scope carries the name too (staff sign-in).
        if "profile" in scopes and "name" in person:
            claims["name"] = person["name"]
        if "address" in scopes and "address" in person:
            claims["address"] = {"formatted": person["address"]}
        for name in ("email", "role"):
            if name in person:
                claims[name] = person[name]
        return claims

    def _userinfo(self, request: Request) -> Response:
        if self.userinfo_failure_status is not None:
            return _json({"error": "server_error"}, self.userinfo_failure_status)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        claims = self._access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if claims is None:
            return _json({"error": "invalid_token"}, 401)
        return _json(claims)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, content_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


@dataclass
class RunningProvider:
    provider: LocalOidcProvider
    server: BaseWSGIServer

    def stop(self) -> None:
        self.server.shutdown()


def start(host: str = "127.0.0.1", port: int = 0) -> RunningProvider:
    """Serve a new provider on ``host`` (a free port when ``port`` is 0) in a background thread."""
    provider = LocalOidcProvider()
    server = make_server(host, port, provider, threaded=True)
    provider.issuer = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="madoguchi-oidc")
    thread.start()
    return RunningProvider(provider, server)
