"""Shared fixtures: the embedded local stack, started once per test session."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.local.stack import LocalStack

APPROVAL_LINK = re.compile(r"https?://\S+/approvals/[A-Za-z0-9_-]+")


class LocalClient:
    """HTTP client for the running stack, with helpers to follow e-mails."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.url = stack.url
        self.http = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.post(self.url + path, timeout=30, **kwargs)

    def outbox(self) -> list[dict[str, Any]]:
        return self.get("/_local/outbox.json").json()

    def wait_for_mail(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15) -> dict:
        """Return the newest e-mail matching ``predicate``, waiting for the workflow."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.outbox():
                if predicate(message):
                    return message
            time.sleep(0.05)
        raise AssertionError("no matching e-mail arrived in the outbox")

    def approval_link(self, reference_number: str, step_number: int = 1) -> str:
        """Return the approval link of a route step (1-based) of an application."""
        message = self.wait_for_mail(
            lambda m: "承認依頼" in m["subject"]
            and reference_number in m["subject"]
            and f"（{step_number} / " in m["text"]
        )
        return APPROVAL_LINK.search(message["text"]).group(0)

    def status(self, reference_number: str, token: str) -> dict[str, Any]:
        response = self.get(
            f"/api/applications/{reference_number}", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def pay_fee(self, reference_number: str, token: str, outcome: str = "card_success") -> dict[str, Any]:
        """Pay an application's fee on the payment simulator's Checkout page, as a resident does.

        Waits for ``awaiting_payment`` first and returns that status.
        """
        status = self.wait_for_status(reference_number, token, "awaiting_payment")
        page = self.http.get(status["payment"]["checkout_url"], timeout=30)
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        response = self.http.post(self.url + action, data={"outcome": outcome}, allow_redirects=False, timeout=30)
        assert response.status_code in (200, 303), response.text
        return status

    def wait_for_status(self, reference_number: str, token: str, status: str, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        current: dict[str, Any] = {}
        while time.monotonic() < deadline:
            current = self.status(reference_number, token)
            if current["status"] == status:
                return current
            time.sleep(0.05)
        raise AssertionError(f"status stayed {current.get('status')!r}, expected {status!r}")


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    stack = LocalStack(port=0, window_overrides=ROOT / "tests/fixtures/test-windows.yaml").start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def client(local_stack: LocalStack) -> LocalClient:
    return LocalClient(local_stack)


@pytest.fixture
def hunting_open(local_stack: Any, tmp_path: Path) -> Iterator[None]:
    """Open the hunting licence exam's window for one test.

    Its real window is closed today and other tests rely on that, so the catalog
    (cached in this process, which also runs the local stack) is reloaded with an
    extra override and restored afterwards.
    """
    from madoguchi.procedures import load_catalog

    base = Path(os.environ["WINDOW_OVERRIDES_FILE"])
    overrides = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    overrides["hunting-licence-exam"] = {
        "opens_at": "2020-01-01T00:00:00+09:00",
        "closes_at": "2099-12-31T23:59:59+09:00",
    }
    extended = tmp_path / "windows.yaml"
    extended.write_text(yaml.safe_dump(overrides), encoding="utf-8")
    os.environ["WINDOW_OVERRIDES_FILE"] = str(extended)
    load_catalog.cache_clear()
    try:
        yield
    finally:
        os.environ["WINDOW_OVERRIDES_FILE"] = str(base)
        load_catalog.cache_clear()
