"""Settings of notices, read from environment variables at first use."""

from __future__ import annotations

from functools import cache

from pydantic import Field

from madoguchi.environment import EnvironmentSettings


class NoticeSettings(EnvironmentSettings):
    """Notice signing settings; the README lists them."""

    notice_signing_secret_arn: str = Field(
        default="",
        description="Secrets Manager secret with the PAdES signing key and certificate; "
        "empty issues unsigned notices",
    )
    notice_signing_location: str = Field(
        default="", description="Location written into the signature; empty means the department name"
    )


@cache
def get_notice_settings() -> NoticeSettings:
    return NoticeSettings.from_environment()
