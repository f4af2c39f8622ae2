"""Settings of staff sign-in and exports, read from environment variables at first use."""

from __future__ import annotations

from functools import cache

from pydantic import Field, SecretStr

from madoguchi.environment import EnvironmentSettings


class StaffSettings(EnvironmentSettings):
    """Staff sign-in (a second OpenID Connect client) and export settings; the README lists them."""

    staff_oidc_issuer: str = Field(default="", description="Issuer URL of the staff identity provider")
    staff_oidc_client_id: str = Field(default="", description="Client id of the staff sign-in")
    staff_oidc_client_private_key: SecretStr = Field(
        default=SecretStr(""), description="Private JWK (JSON) that signs private_key_jwt assertions"
    )
    staff_oidc_redirect_uri: str = Field(
        default="", description="Registered redirect URI; empty means PUBLIC_BASE_URL/staff/callback"
    )
    staff_oidc_scopes: str = Field(default="openid profile email", description="Requested scopes (profile gives the name the queue greets)")
    staff_oidc_role_claim: str = Field(
        default="role", description="ID token claim with the approver role (a string or a list)"
    )
    staff_session_ttl_seconds: int = Field(
        default=1800, ge=60, le=43200, description="Lifetime of a staff session cookie"
    )
    staff_api_token: SecretStr = Field(
        default=SecretStr(""), description="Bearer token for scripts that call the staff API"
    )
    export_function_name: str = Field(default="", description="Function that builds exports")
    export_url_ttl_seconds: int = Field(
        default=300, ge=30, le=3600, description="Lifetime of an export download link"
    )


@cache
def get_staff_settings() -> StaffSettings:
    return StaffSettings.from_environment()
