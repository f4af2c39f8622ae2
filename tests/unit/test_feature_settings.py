"""Tests of the staff and notice settings: names of their environment variables and defaults."""

from __future__ import annotations

import pytest
from madoguchi.notices.settings import NoticeSettings
from madoguchi.staff.settings import StaffSettings
from pydantic import ValidationError

STAFF_VARIABLES = [
    "STAFF_OIDC_ISSUER",
    "STAFF_OIDC_CLIENT_ID",
    "STAFF_OIDC_CLIENT_PRIVATE_KEY",
    "STAFF_OIDC_REDIRECT_URI",
    "STAFF_OIDC_SCOPES",
    "STAFF_OIDC_ROLE_CLAIM",
    "STAFF_SESSION_TTL_SECONDS",
    "STAFF_API_TOKEN",
    "EXPORT_FUNCTION_NAME",
    "EXPORT_URL_TTL_SECONDS",
]
NOTICE_VARIABLES = ["NOTICE_SIGNING_SECRET_ARN", "NOTICE_SIGNING_LOCATION"]


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in STAFF_VARIABLES + NOTICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_staff_defaults(clean_environment: pytest.MonkeyPatch) -> None:
    settings = StaffSettings.from_environment()

    assert settings.staff_oidc_issuer == ""
    assert settings.staff_oidc_scopes == "openid profile email"
    assert settings.staff_oidc_role_claim == "role"
    assert settings.staff_session_ttl_seconds == 1800
    assert settings.staff_api_token.get_secret_value() == ""
    assert settings.export_url_ttl_seconds == 300


def test_staff_reads_variables(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("STAFF_OIDC_ISSUER", "https://login.example.jp")
    clean_environment.setenv("STAFF_SESSION_TTL_SECONDS", "600")
    clean_environment.setenv("STAFF_API_TOKEN", "token-0123456789abcdef")
    clean_environment.setenv("EXPORT_FUNCTION_NAME", "export-applications")

    settings = StaffSettings.from_environment()

    assert settings.staff_oidc_issuer == "https://login.example.jp"
    assert settings.staff_session_ttl_seconds == 600
    assert settings.staff_api_token.get_secret_value() == "token-0123456789abcdef"
    assert settings.export_function_name == "export-applications"


def test_staff_variables_cover_fields() -> None:
    assert {name.upper() for name in StaffSettings.model_fields} == set(STAFF_VARIABLES)


def test_staff_rejects_short_session(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("STAFF_SESSION_TTL_SECONDS", "30")

    with pytest.raises(ValidationError, match="staff_session_ttl_seconds"):
        StaffSettings.from_environment()


def test_notice_defaults(clean_environment: pytest.MonkeyPatch) -> None:
    settings = NoticeSettings.from_environment()

    assert settings.notice_signing_secret_arn == ""
    assert settings.notice_signing_location == ""


def test_notice_reads_variables(clean_environment: pytest.MonkeyPatch) -> None:
    arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:notice-signing"
    clean_environment.setenv("NOTICE_SIGNING_SECRET_ARN", arn)
    clean_environment.setenv("NOTICE_SIGNING_LOCATION", "栃木県庁")

    settings = NoticeSettings.from_environment()

    assert settings.notice_signing_secret_arn == arn
    assert settings.notice_signing_location == "栃木県庁"


def test_notice_variables_cover_fields() -> None:
    assert {name.upper() for name in NoticeSettings.model_fields} == set(NOTICE_VARIABLES)
