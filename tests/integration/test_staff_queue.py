"""Staff sign-in through the local OpenID Connect provider, the approval queue, and the
signed session cookie."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pytest
import requests

from tests.integration.identity_flow import FORM_ACTION, HIDDEN_INPUT
from tests.integration.test_application_journey import approval_form, decide, submitted

pytestmark = pytest.mark.integration


def sign_in(client: Any, person: str) -> requests.Session:
    """Sign in as a local provider's staff account over HTTP; return the browser session."""
    browser = requests.Session()
    start = browser.get(client.url + "/staff/login", allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text
    login_cookie = start.headers["Set-Cookie"]
    assert "HttpOnly" in login_cookie
    assert "Path=/staff/" in login_cookie
    page = browser.get(start.headers["Location"], timeout=30)
    fields = {name: html.unescape(value) for name, value in HIDDEN_INPUT.findall(page.text)}
    decision = browser.post(
        FORM_ACTION.search(page.text).group(1), data={**fields, "person": person},
        allow_redirects=False, timeout=30,
    )
    assert decision.status_code == 302, decision.text
    callback = browser.get(decision.headers["Location"], allow_redirects=False, timeout=30)
    assert callback.status_code == 302, callback.text
    assert callback.headers["Location"] == "/staff"
    return browser


def session_cookie(browser: requests.Session) -> str:
    return browser.cookies.get("madoguchi_staff")


def queue(client: Any, browser: requests.Session, **kwargs: Any) -> requests.Response:
    return browser.get(client.url + "/staff", allow_redirects=False, timeout=30, **kwargs)


def queued_references(page: str) -> list[str]:
    return re.findall(r'<tr data-reference="([^"]+)">', page)


@pytest.fixture(scope="module")
def two_pending(client: Any) -> list[dict[str, Any]]:
    """Two cook notifications waiting for environmental-health-staff, submitted in order."""
    first = submitted(client)
    client.approval_link(first["reference_number"])
    time.sleep(0.01)
    second = submitted(client)
    client.approval_link(second["reference_number"])
    return [first, second]


def test_session_cookie_attributes(client: Any) -> None:
    browser = requests.Session()
    start = browser.get(client.url + "/staff/login", allow_redirects=False, timeout=30)
    page = browser.get(start.headers["Location"], timeout=30)
    fields = {name: html.unescape(value) for name, value in HIDDEN_INPUT.findall(page.text)}
    decision = browser.post(
        FORM_ACTION.search(page.text).group(1), data={**fields, "person": "staff-seikatsu"},
        allow_redirects=False, timeout=30,
    )
    callback = browser.get(decision.headers["Location"], allow_redirects=False, timeout=30)
    cookies = callback.raw.headers.getlist("Set-Cookie")
    session = next(cookie for cookie in cookies if cookie.startswith("madoguchi_staff="))
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session
    assert "Max-Age=1800" in session
    # The local stack serves plain HTTP, so the cookie cannot be Secure there.
    assert "Secure" not in session


def test_queue_lists_pending_tasks_oldest_first(client: Any, two_pending: list[dict[str, Any]]) -> None:
    browser = sign_in(client, "staff-seikatsu")
    response = queue(client, browser)
    assert response.status_code == 200, response.text
    references = queued_references(response.text)
    first, second = (application["reference_number"] for application in two_pending)
    assert first in references
    assert second in references
    assert references.index(first) < references.index(second)
    assert "調理師業務従事者届" in response.text
    assert "処理期限" in response.text
    link = re.search(rf'<a href="(/approvals/[^"]+)">{first}</a>', response.text).group(1)
    assert client.get(link).status_code == 200


def test_queue_in_english(client: Any, two_pending: list[dict[str, Any]]) -> None:
    browser = sign_in(client, "staff-seikatsu")
    response = queue(client, browser, params={"lang": "en"})
    assert response.status_code == 200
    assert "Approval queue" in response.text
    assert '<html lang="en">' in response.text


def test_queue_drops_decided_task(client: Any, two_pending: list[dict[str, Any]]) -> None:
    application = submitted(client)
    link = client.approval_link(application["reference_number"])
    browser = sign_in(client, "staff-seikatsu")
    assert application["reference_number"] in queued_references(queue(client, browser).text)

    assert decide(link, "approve", approval_form(client, link)).status_code == 200
    assert application["reference_number"] not in queued_references(queue(client, browser).text)


def test_queue_hides_other_roles_tasks(client: Any, two_pending: list[dict[str, Any]]) -> None:
    browser = sign_in(client, "staff-shizen")
    response = queue(client, browser)
    references = queued_references(response.text)
    assert response.status_code == 200
    assert two_pending[0]["reference_number"] not in references
    assert two_pending[1]["reference_number"] not in references


def test_queue_without_session_redirects_to_sign_in(client: Any) -> None:
    response = queue(client, requests.Session())
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"


def test_forged_session_cookie_rejected(client: Any) -> None:
    import base64
    import json

    browser = sign_in(client, "staff-shizen")
    payload, mac = session_cookie(browser).split(".")
    document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    document["roles"] = ["environmental-health-staff"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")
    forged = requests.Session()
    forged.cookies.set("madoguchi_staff", f"{forged_payload}.{mac}")
    response = queue(client, forged)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"


def test_expired_session_cookie_rejected(client: Any) -> None:
    from madoguchi.staff.session import new_session_cookie_value

    expired = new_session_cookie_value(
        "seikatsu-tanto@example.pref.lg.jp", "生活 衛子", ["environmental-health-staff"],
        now=time.time() - 3600,
    )
    browser = requests.Session()
    browser.cookies.set("madoguchi_staff", expired)
    response = queue(client, browser)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"


def test_callback_without_login_cookie_fails(client: Any) -> None:
    response = client.get("/staff/callback?code=abc&state=def", allow_redirects=False)
    assert response.status_code == 400
    assert "madoguchi_staff=" not in response.headers.get("Set-Cookie", "")


def test_sign_out_clears_session(client: Any) -> None:
    browser = sign_in(client, "staff-seikatsu")
    response = browser.post(client.url + "/staff/logout", allow_redirects=False, timeout=30)
    assert response.status_code == 302
    assert session_cookie(browser) is None
    assert queue(client, browser).status_code == 302


def test_every_local_approver_can_sign_in(client: Any) -> None:
    """Each approver role of `make run` has a staff account whose queue lists its tasks."""
    from infra.local.oidc_provider import STAFF_PEOPLE
    from infra.local.stack import DEFAULT_APPROVERS
    from tests.integration.test_approval_routes import HOKENJO, submit_cook_licence, wait_for_link

    application = submit_cook_licence(client)
    wait_for_link(client, application["reference_number"], HOKENJO)
    accounts = {person["role"]: person_id for person_id, person in STAFF_PEOPLE.items()}

    browser = sign_in(client, accounts["health-centre-staff"])
    response = queue(client, browser)

    assert set(DEFAULT_APPROVERS) <= set(accounts)
    assert application["reference_number"] in queued_references(response.text)
    assert "保坂 健" in response.text


def test_sign_in_after_key_rotation(client: Any) -> None:
    """After the provider rotates its signing key, staff sign-in refetches the JWKS."""
    sign_in(client, "staff-seikatsu")  # the staff relying party caches the JWKS
    client.stack.identity_provider.provider.rotate_signing_key()
    # The local stack allows one JWKS refetch per second for an unknown kid.
    time.sleep(1.1)

    browser = sign_in(client, "staff-seikatsu")

    assert queue(client, browser).status_code == 200
