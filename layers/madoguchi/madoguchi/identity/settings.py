"""Settings of identity verification, read from environment variables at first use."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import Field, SecretStr

from madoguchi.environment import EnvironmentSettings


class IdentitySettings(EnvironmentSettings):
    """OpenID Connect relying party and e-mail code settings; the README lists them."""

    oidc_issuer: str = Field(
        default="", description="Issuer URL of the OpenID provider; empty disables the card check"
    )
    oidc_client_id: str = Field(default="", description="Client id registered with the provider")
    oidc_client_private_key: SecretStr = Field(
        default=SecretStr(""),
        description="Private JWK (JSON) that signs private_key_jwt client assertions",
    )
    oidc_redirect_uri: str = Field(
        default="", description="Registered redirect URI; empty means PUBLIC_BASE_URL/identity/callback"
    )
    oidc_scopes: str = Field(default="openid name address birthdate gender", description="Requested scopes")
    oidc_acr_values: str = Field(default="aal3", description="acr_values sent with the request; empty sends none")
    oidc_allowed_algorithms: str = Field(
        default="ES256", description="Comma-separated ID token signing algorithms that are accepted"
    )
    oidc_attribute_source: Literal["id_token", "userinfo"] = Field(
        default="userinfo", description="Where verified attributes are read from"
    )
    oidc_jwks_min_refresh_seconds: int = Field(
        default=60, ge=0, description="Minimum seconds between JWKS refetches caused by an unknown kid"
    )
    oidc_http_timeout_seconds: float = Field(default=5.0, gt=0, description="Timeout of calls to the provider")
    oidc_clock_skew_seconds: int = Field(default=60, ge=0, description="Allowed clock skew for exp and iat")
    identity_session_ttl_seconds: int = Field(
        default=900, ge=60, description="Lifetime of an authorization request and of a verified session"
    )
    resident_prefecture: str = Field(
        default="栃木県", description="Prefecture whose residents may use residents-only procedures"
    )
    email_code_ttl_seconds: int = Field(default=600, ge=60, description="Lifetime of an e-mail one-time code")
    email_code_max_attempts: int = Field(default=5, ge=1, description="Wrong codes allowed before a code is void")

    @property
    def allowed_algorithms(self) -> list[str]:
        return [name.strip() for name in self.oidc_allowed_algorithms.split(",") if name.strip()]


@cache
def get_identity_settings() -> IdentitySettings:
    return IdentitySettings.from_environment()
