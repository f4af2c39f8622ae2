"""Reading the Authorization header and checking the staff token."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from madoguchi.web.requests import bearer_token, staff_token_problem


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc123", "abc123"),
        ("bearer  abc123 ", "abc123"),
        ("Basic dXNlcjpwYXNz", None),
        ("abc123", None),
        ("", None),
    ],
)
def test_bearer_token_parsing(header: str, expected: str | None) -> None:
    request = SimpleNamespace(headers={"authorization": header} if header else {})

    assert bearer_token(request) == expected


def test_bearer_token_without_headers() -> None:
    assert bearer_token(SimpleNamespace(headers=None)) is None


@pytest.mark.parametrize(
    ("configured", "header", "expected"),
    [
        ("s3cret", "Bearer s3cret", None),
        ("s3cret", "", "staff_token_required"),
        ("s3cret", "Basic s3cret", "staff_token_required"),
        ("s3cret", "Bearer other", "staff_token_invalid"),
        ("", "Bearer anything", "staff_token_invalid"),
    ],
)
def test_staff_token_cases(
    monkeypatch: pytest.MonkeyPatch, configured: str, header: str, expected: str | None
) -> None:
    monkeypatch.setenv("STAFF_API_TOKEN", configured)
    request = SimpleNamespace(headers={"authorization": header} if header else {})

    assert staff_token_problem(request) == expected
