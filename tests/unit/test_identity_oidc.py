"""Tests of the relying party's ID token verification against the local OpenID
Connect provider, served over HTTP on 127.0.0.1 (discovery and JWKS are real fetches)."""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from madoguchi.identity.oidc import IdentityProviderError, IdTokenInvalid, OidcClient
from madoguchi.identity.settings import IdentitySettings

from infra.local import oidc_provider

CLIENT_ID = "madoguchi-test"


@pytest.fixture
def provider() -> Iterator[oidc_provider.LocalOidcProvider]:
    running = oidc_provider.start("127.0.0.1")
    yield running.provider
    running.stop()


def relying_party(provider: oidc_provider.LocalOidcProvider, **settings: Any) -> OidcClient:
    private_key = provider.register_client(CLIENT_ID, ["http://127.0.0.1/identity/callback"])
    values = {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_private_key": json.dumps(private_key),
        "oidc_jwks_min_refresh_seconds": 60,
        **settings,
    }
    return OidcClient(IdentitySettings(**values), "http://127.0.0.1/identity/callback")


def claims(provider: oidc_provider.LocalOidcProvider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": provider.issuer, "sub": "abc", "aud": CLIENT_ID, "exp": now + 300, "iat": now,
            "nonce": "n-1", "acr": "aal3", **changes}


def reason_of(client: OidcClient, token: str, nonce: str = "n-1") -> str:
    with pytest.raises(IdTokenInvalid) as caught:
        client.verify_id_token(token, nonce)
    return caught.value.reason


def test_valid_token_accepted(provider: oidc_provider.LocalOidcProvider) -> None:
    client = relying_party(provider)

    verified = client.verify_id_token(provider.sign(claims(provider)), "n-1")

    assert verified["sub"] == "abc"


def test_unknown_key_rejected(provider: oidc_provider.LocalOidcProvider) -> None:
    from joserfc.jwk import ECKey

    client = relying_party(provider)
    stranger = ECKey.generate_key("P-256", parameters={"kid": "stranger"})

    assert reason_of(client, provider.sign(claims(provider), key=stranger)) == "unknown_kid"


def test_forged_signature_with_known_kid(provider: oidc_provider.LocalOidcProvider) -> None:
    from joserfc.jwk import ECKey

    client = relying_party(provider)
    forged_key = ECKey.generate_key("P-256", parameters={"kid": provider.signing_key.kid})

    assert reason_of(client, provider.sign(claims(provider), key=forged_key)) == "bad_signature"


def test_alg_none_rejected(provider: oidc_provider.LocalOidcProvider) -> None:
    client = relying_party(provider)

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims(provider))}."

    assert reason_of(client, unsigned) == "algorithm_not_allowed"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "someone-else"}, "wrong_audience"),
        ({"aud": [CLIENT_ID, "someone-else"]}, "wrong_azp"),
        ({"iss": "http://127.0.0.1:1/evil"}, "wrong_issuer"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"iat": int(time.time()) + 3600}, "issued_in_future"),
        ({"nonce": "n-2"}, "wrong_nonce"),
    ],
)
def test_bad_claims_rejected(provider: oidc_provider.LocalOidcProvider, changes: dict[str, Any], reason: str) -> None:
    client = relying_party(provider)

    assert reason_of(client, provider.sign(claims(provider, **changes))) == reason


def test_missing_nonce_rejected(provider: oidc_provider.LocalOidcProvider) -> None:
    client = relying_party(provider)
    token_claims = claims(provider)
    del token_claims["nonce"]

    assert reason_of(client, provider.sign(token_claims)) == "wrong_nonce"


def test_rotation_refetches_jwks(provider: oidc_provider.LocalOidcProvider) -> None:
    client = relying_party(provider, oidc_jwks_min_refresh_seconds=0)
    client.verify_id_token(provider.sign(claims(provider)), "n-1")

    provider.rotate_signing_key()
    verified = client.verify_id_token(provider.sign(claims(provider)), "n-1")

    assert verified["sub"] == "abc"


def test_refetch_is_rate_limited(provider: oidc_provider.LocalOidcProvider) -> None:
    client = relying_party(provider, oidc_jwks_min_refresh_seconds=60)
    client.verify_id_token(provider.sign(claims(provider)), "n-1")

    provider.rotate_signing_key()

    # Within the minimum interval the cached JWKS is used, so the new kid is unknown.
    assert reason_of(client, provider.sign(claims(provider))) == "unknown_kid"


def test_discovery_wrong_issuer(provider: oidc_provider.LocalOidcProvider) -> None:
    client = relying_party(provider)
    client.settings = IdentitySettings(
        oidc_issuer=provider.issuer + "/", oidc_client_id=CLIENT_ID, oidc_client_private_key="{}"
    )

    with pytest.raises(IdentityProviderError):
        client.metadata()


def test_authorization_url_parameters(provider: oidc_provider.LocalOidcProvider) -> None:
    from urllib.parse import parse_qs, urlsplit

    from madoguchi.identity.oidc import code_challenge_s256

    client = relying_party(provider)

    query = parse_qs(urlsplit(client.authorization_url("s-1", "n-1", "v" * 43)).query)

    assert query["code_challenge"] == [code_challenge_s256("v" * 43)]
    assert query["code_challenge_method"] == ["S256"]
    assert query["scope"] == ["openid name address birthdate gender"]
    assert query["acr_values"] == ["aal3"]
    assert query["state"] == ["s-1"]
    assert query["nonce"] == ["n-1"]


def test_code_challenge_rfc7636_example() -> None:
    from madoguchi.identity.oidc import code_challenge_s256

    # RFC 7636 appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    assert code_challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
