"""My Number card check over HTTP on the local stack: start, the local provider's
authorization page, callback, prefill, submission with the session, and the
approval page; plus the e-mailed link when an application arrives unverified."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from identity_flow import cook_licence_uploads, pick_person, start_at_provider, verify_identity

pytestmark = pytest.mark.integration

IDENTITY_LINK = re.compile(r"https?://\S+/identity/start\?link=[A-Za-z0-9_-]+")


def cook_answers(client: Any, **changes: Any) -> dict[str, Any]:
    example = client.get("/api/procedures/cook-licence").json()["answers_schema"]["examples"][0]
    return {**example, **cook_licence_uploads(client), **changes}


def submit(client: Any, answers: dict[str, Any], session_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"procedure_id": "cook-licence", "answers": answers, "locale": "ja"}
    if session_id is not None:
        body["identity_session_id"] = session_id
    response = client.post("/api/applications", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def wait_for_event(client: Any, application: dict[str, Any], event: str) -> dict[str, Any]:
    """Return the status once the workflow has written ``event`` to the history."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = client.status(application["reference_number"], application["access_token"])
        if event in [entry["event"] for entry in status["history"]]:
            return status
        time.sleep(0.05)
    raise AssertionError(f"the history never got {event!r}")


def test_start_redirects_with_pkce(client: Any) -> None:
    response = client.get("/identity/start?procedure_id=cook-licence", allow_redirects=False)

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(client.stack.identity_provider.provider.issuer + "/authorize?")
    assert "code_challenge_method=S256" in location
    assert "acr_values=aal3" in location
    assert "nonce=" in location
    assert "HttpOnly" in response.headers["Set-Cookie"]


def test_prefill_has_verified_attributes(client: Any) -> None:
    session_id = verify_identity(client, "hunting-licence-exam", "yamasaki")

    view = client.get(f"/api/identity/{session_id}?procedure_id=hunting-licence-exam").json()

    assert view["level"] == "my_number_card"
    assert view["attributes"]["name"] == "山﨑 太郎"
    assert view["attributes"]["birthdate"] == "1998-04-01"
    assert view["fields"] == {"name": "full_name", "birthdate": "birth_date", "address": "address"}
    assert view["resident"] is True


def test_prefill_other_procedure_404(client: Any) -> None:
    session_id = verify_identity(client, "hunting-licence-exam", "yamasaki")

    response = client.get(f"/api/identity/{session_id}?procedure_id=cook-licence")

    assert response.status_code == 404


def test_form_page_has_identity_button(client: Any) -> None:
    page = client.get("/procedures/hunting-licence-exam").text

    assert "マイナンバーカードで本人確認" in page
    assert "/identity/start?procedure_id=hunting-licence-exam" in page
    assert "/static/identity.js" in page
    assert client.get("/static/identity.js").status_code == 200


def test_matched_identity_recorded(client: Any) -> None:
    session_id = verify_identity(client, "cook-licence", "takahashi")
    # Typed with 高 and 崎 and a full-width space; the card has 髙橋 﨑子.
    application = submit(client, cook_answers(client, full_name="高橋　崎子"), session_id)

    status = wait_for_event(client, application, "identity_matched")

    assert status["identity"] == {"state": "verified", "match": "matched", "mismatched_attributes": []}


def test_mismatched_name_goes_to_review(client: Any) -> None:
    session_id = verify_identity(client, "cook-licence", "takahashi")
    application = submit(client, cook_answers(client, full_name="高橋 咲子"), session_id)

    wait_for_event(client, application, "identity_mismatched")
    # A mismatch may end in rejection, so staff decide before any fee is requested.
    status = client.wait_for_status(application["reference_number"], application["access_token"], "eligibility_review")

    assert status["identity"]["match"] == "mismatched"
    assert status["identity"]["mismatched_attributes"] == ["name"]
    assert "identity_mismatched" in [entry["event"] for entry in status["history"]]
    assert status["payment"]["checkout_url"] is None


def test_non_resident_flagged_for_review(client: Any) -> None:
    session_id = verify_identity(client, "cook-licence", "non-resident")
    prefill = client.get(f"/api/identity/{session_id}?procedure_id=cook-licence").json()
    assert prefill["resident"] is False
    answers = cook_answers(
        client, full_name="佐藤 一郎", birth_date="1979-09-09", postal_code="100-0014",
        address="東京都千代田区永田町1-7-1",
    )

    application = submit(client, answers, session_id)

    status = wait_for_event(client, application, "identity_mismatched")
    assert status["identity"]["mismatched_attributes"] == ["residency"]


def test_session_used_twice_rejected(client: Any) -> None:
    session_id = verify_identity(client, "cook-licence", "takahashi")
    submit(client, cook_answers(client), session_id)

    response = client.post(
        "/api/applications",
        json={"procedure_id": "cook-licence", "answers": cook_answers(client), "identity_session_id": session_id},
    )

    assert response.status_code == 422
    assert response.json()["error"] == "identity_session_invalid"


def test_callback_replay_rejected(client: Any) -> None:
    action, fields = start_at_provider(client, "/identity/start?procedure_id=cook-licence")
    callback = pick_person(client, action, fields, "takahashi")
    first = client.http.get(callback, allow_redirects=False, timeout=30)
    assert first.status_code == 302

    # The browser's cookie was cleared; a replay with the old cookie finds no request.
    replay = client.http.get(callback, allow_redirects=False, timeout=30,
                             cookies={"madoguchi_identity": "replayed"})

    assert replay.status_code == 400
    assert "完了できませんでした" in replay.text


def test_callback_wrong_state_rejected(client: Any) -> None:
    action, fields = start_at_provider(client, "/identity/start?procedure_id=cook-licence")
    callback = pick_person(client, action, fields, "takahashi")
    tampered = re.sub(r"state=[^&]+", "state=not-the-state", callback)

    response = client.http.get(tampered, allow_redirects=False, timeout=30)

    assert response.status_code == 400
    assert "完了できませんでした" in response.text


def test_userinfo_failure_shows_error(client: Any) -> None:
    provider = client.stack.identity_provider.provider
    action, fields = start_at_provider(client, "/identity/start?procedure_id=cook-licence")
    callback = pick_person(client, action, fields, "takahashi")
    provider.userinfo_failure_status = 500
    try:
        response = client.http.get(callback, allow_redirects=False, timeout=30)
    finally:
        provider.userinfo_failure_status = None

    assert response.status_code == 502
    assert "接続できませんでした" in response.text


def test_key_rotation_mid_session(client: Any) -> None:
    provider = client.stack.identity_provider.provider
    verify_identity(client, "cook-licence", "takahashi")  # the relying party caches the JWKS
    action, fields = start_at_provider(client, "/identity/start?procedure_id=cook-licence")
    provider.rotate_signing_key()
    # The local stack allows one JWKS refetch per second for an unknown kid.
    time.sleep(1.1)

    callback = pick_person(client, action, fields, "watanabe")
    response = client.http.get(callback, allow_redirects=False, timeout=30)

    assert response.status_code == 302, response.text
    assert "#identity=" in response.headers["Location"]


def test_unverified_application_waits_for_link(client: Any) -> None:
    application = submit(client, cook_answers(client), None)
    reference_number = application["reference_number"]
    token = application["access_token"]

    client.wait_for_status(reference_number, token, "awaiting_identity")
    mail = client.wait_for_mail(lambda m: "本人確認のお願い" in m["subject"] and reference_number in m["subject"])
    link = IDENTITY_LINK.search(mail["text"]).group(0)
    action, fields = start_at_provider(client, link.removeprefix(client.url))
    callback = pick_person(client, action, fields, "takahashi")
    done = client.http.get(callback, allow_redirects=False, timeout=30)

    assert done.status_code == 200, done.text
    assert "本人確認を記録しました" in done.text
    status = wait_for_event(client, application, "identity_matched")
    assert status["identity"]["match"] == "matched"
    # The workflow resumed: the next stage (payment or review) moved it on.
    deadline = time.monotonic() + 15
    while status["status"] == "awaiting_identity" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = client.status(reference_number, token)
    assert status["status"] in ("awaiting_payment", "under_review")
