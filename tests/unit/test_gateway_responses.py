"""API Gateway's own error responses in template.yaml: bilingual, from the catalog."""

from __future__ import annotations

import json

import pytest
from madoguchi.i18n import translate_all

from infra.local.provision import load_template

EXPECTED = {
    "MISSING_AUTHENTICATION_TOKEN": ("not_found", "api.gateway_not_found"),
    "THROTTLED": ("throttled", "api.gateway_throttled"),
    "DEFAULT_4XX": ("request_rejected", "api.gateway_client_error"),
    "DEFAULT_5XX": ("internal_error", "api.gateway_server_error"),
}


@pytest.fixture(scope="module")
def responses() -> dict:
    return load_template()["Resources"]["Api"]["Properties"]["GatewayResponses"]


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_body_matches_catalog(responses: dict, kind: str) -> None:
    error, message_key = EXPECTED[kind]

    body = json.loads(responses[kind]["ResponseTemplates"]["application/json"])

    assert body == {"error": error, "message": translate_all(message_key)}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_headers_static_and_safe(responses: dict, kind: str) -> None:
    headers = responses[kind]["ResponseParameters"]["Headers"]

    assert headers["X-Content-Type-Options"] == "'nosniff'"
    assert headers["Cache-Control"] == "'no-store'"


def test_unknown_path_is_404(responses: dict) -> None:
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
