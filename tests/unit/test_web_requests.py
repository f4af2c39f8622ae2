"""Reading the Authorization header."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from madoguchi.web.requests import bearer_token


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
