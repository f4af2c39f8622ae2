"""Browser fixtures: one headless Debian Chromium per test session, a new context per test.

Playwright cannot download its own browser here, so the suite drives
/usr/bin/chromium (Debian's package; `make browser-deps` installs it). Every
context refuses requests to any host but the local stack, so a page that
needs a CDN or another site fails its test instead of reaching out.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

# Without the browser packages (dev extras), skip this folder instead of failing collection,
# so that `pytest -m "not browser"` still runs.
pytest.importorskip("playwright", reason="needs playwright==1.65.2 (pip install -e '.[dev]')")
pytest.importorskip(
    "axe_playwright_python", reason="needs axe-playwright-python==0.1.8 (pip install -e '.[dev]')"
)
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("MADOGUCHI_CHROMIUM", "/usr/bin/chromium")

# Chromium must not contact Google's services or any host other than the stack.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
DEVICES = {"phone": PHONE, "desktop": DESKTOP}


@dataclass
class Site:
    """The local stack's base URL and a browser context factory."""

    url: str
    browser: Browser

    def new_page(self, device: str = "phone", **options: Any) -> Page:
        """Open a page in a new context that can reach the local stack only.

        ``device`` is "phone" or "desktop"; ``options`` override Playwright's context options.
        """
        settings = {
            **DEVICES[device],
            "locale": "ja-JP",
            "timezone_id": "Asia/Tokyo",
            "base_url": self.url,
            "service_workers": "block",
            **options,
        }
        context = self.browser.new_context(**settings)
        context.set_default_timeout(10_000)
        _allow_only_local(context, self.url)
        page = context.new_page()
        page.console_errors = []  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),  # type: ignore[attr-defined]
        )
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))  # type: ignore[attr-defined]
        return page


def _allow_only_local(context: BrowserContext, site_url: str) -> None:
    origin = urlsplit(site_url).netloc
    context.blocked_requests = []  # type: ignore[attr-defined]

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == origin:
            route.continue_()
        else:
            context.blocked_requests.append(url)  # type: ignore[attr-defined]
            route.abort()

    context.route("**/*", route)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file() and not shutil.which(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run 'make browser-deps' "
            "(apt-get install chromium) or set MADOGUCHI_CHROMIUM to its path"
        )
    args = list(CHROMIUM_ARGS)
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to start as root
    with sync_playwright() as playwright:
        # launch() gives every run a new temporary profile (user data dir).
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site(local_stack: Any, browser: Browser) -> Site:
    return Site(url=local_stack.url, browser=browser)


@pytest.fixture
def open_page(site: Site) -> Iterator[Any]:
    """Return a function that opens a page; after the test, check it stayed local and error-free."""
    pages: list[Page] = []

    def open_page(device: str = "phone", **options: Any) -> Page:
        page = site.new_page(device, **options)
        pages.append(page)
        return page

    yield open_page

    for page in pages:
        blocked = page.context.blocked_requests  # type: ignore[attr-defined]
        errors = [
            error
            for error in page.console_errors  # type: ignore[attr-defined]
            # Chromium logs every 4xx and 5xx response; the tests check those statuses themselves.
            if not error.startswith("Failed to load resource: the server responded with a status of")
        ]
        page.context.close()
        assert blocked == [], f"the page requested other hosts: {blocked}"
        assert errors == [], f"browser console errors (CSP violations appear here): {errors}"


@pytest.fixture
def screenshot() -> Any:
    return save_screenshot


def save_screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """Save a PNG under docs/screenshots as ``name``.png, of the whole page or only the viewport.

    Fixed elements such as the open chat panel need ``full_page=False`` to appear where a
    resident sees them.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path
