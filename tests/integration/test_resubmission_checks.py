"""Corrections on the local stack: the check before the confirmation screen
(POST /api/applications/{reference}/resubmissions/validation) and the mails about
the corrected version."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_approval_routes import (
    HOKENJO,
    TANTO,
    bearer,
    decide,
    submit_cook_licence,
    submit_notification,
    wait_for_link,
)

pytestmark = pytest.mark.integration


def returned_cook_licence(client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return a paid cook licence after its first step returned it, and its current answers."""
    application = submit_cook_licence(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    decide(client, wait_for_link(client, reference_number, HOKENJO), "return", "電話番号を確認してください。")
    client.wait_for_status(reference_number, token, "returned")
    answers = client.get(f"/api/applications/{reference_number}/answers", headers=bearer(token)).json()["answers"]
    return application, answers


def validation(client: Any, reference_number: str, token: str, body: Any) -> Any:
    return client.post(
        f"/api/applications/{reference_number}/resubmissions/validation", json=body, headers=bearer(token)
    )


def test_own_files_pass_the_check(client: Any) -> None:
    application, answers = returned_cook_licence(client)
    reference_number = application["reference_number"]

    as_resubmission = validation(
        client, reference_number, application["access_token"], {"answers": {**answers, "phone": "090-1234-5678"}}
    )
    as_new_application = client.post("/api/procedures/cook-licence/validation", json={"answers": answers})

    assert as_resubmission.status_code == 200, as_resubmission.text
    assert as_resubmission.json()["answers"]["phone"] == "090-1234-5678"
    assert as_resubmission.json()["fee"] == {
        "amount": 5600, "currency": "JPY", "paid_amount": 5600, "amount_due": 0, "refund_amount": 0,
    }
    # The same files in a new application are someone else's attachments.
    assert as_new_application.status_code == 422
    assert {error["code"] for error in as_new_application.json()["errors"]} == {"attachments.upload_used"}
    assert client.status(reference_number, application["access_token"])["status"] == "returned"


def test_check_names_invalid_fields_in_japanese(client: Any) -> None:
    application, answers = returned_cook_licence(client)

    response = validation(
        client, application["reference_number"], application["access_token"], {"answers": {**answers, "phone": "12"}}
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == ["phone"]
    assert "電話番号" in errors[0]["ja"]


def test_check_refuses_wrong_token_and_bad_body(client: Any) -> None:
    application, answers = returned_cook_licence(client)
    reference_number = application["reference_number"]

    wrong_token = validation(client, reference_number, "A" * 43, {"answers": answers})
    no_answers = validation(client, reference_number, application["access_token"], {"answers": []})
    not_json = client.post(
        f"/api/applications/{reference_number}/resubmissions/validation",
        data=b"{", headers={**bearer(application["access_token"]), "Content-Type": "application/json"},
    )

    assert wrong_token.status_code == 404
    assert no_answers.status_code == 400
    assert no_answers.json()["error"] == "invalid_request"
    assert not_json.status_code == 400
    assert not_json.json()["error"] == "invalid_json"


def test_check_refused_unless_returned(client: Any) -> None:
    application = submit_notification(client)
    client.wait_for_status(application["reference_number"], application["access_token"], "under_review")

    response = validation(
        client, application["reference_number"], application["access_token"], {"answers": application["answers"]}
    )

    assert response.status_code == 409
    assert response.json()["error"] == "not_returned"
    assert response.json()["status"] == "under_review"
    assert "差し戻" in response.json()["message"]["ja"]


def test_completion_mail_omits_old_comment(client: Any) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    comment = "勤務先の所在地を番地まで書いてください。"
    first_link = wait_for_link(client, reference_number, TANTO)
    decide(client, first_link, "return", comment)
    client.wait_for_status(reference_number, token, "returned")
    answers = client.get(f"/api/applications/{reference_number}/answers", headers=bearer(token)).json()["answers"]
    client.post(
        f"/api/applications/{reference_number}/resubmissions",
        json={"answers": {**answers, "workplace_name": "食堂まどぐち 駅前店"}}, headers=bearer(token),
    )

    decide(client, wait_for_link(client, reference_number, TANTO, exclude=(first_link,)), "approve")
    client.wait_for_status(reference_number, token, "completed")
    completed_mail = client.wait_for_mail(
        lambda mail: "【完了】" in mail["subject"] and reference_number in mail["subject"]
    )
    mails = [mail for mail in client.outbox() if reference_number in mail["subject"]]
    returned_mail = next(mail for mail in mails if "【差し戻し" in mail["subject"])
    received_mails = [mail for mail in mails if "【受付完了】" in mail["subject"]]

    assert comment in returned_mail["text"]
    assert comment not in completed_mail["text"]
    assert len(received_mails) == 2
    assert sum("修正した申請（第2版）を受け付けました" in mail["text"] for mail in received_mails) == 1


def test_audit_wrong_staff_token_named(client: Any) -> None:
    application = submit_notification(client)
    path = f"/api/applications/{application['reference_number']}/audit"

    missing = client.get(path)
    wrong = client.get(path, headers=bearer("not-the-staff-token"))

    assert missing.status_code == 401
    assert missing.json()["error"] == "staff_token_required"
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "staff_token_invalid"
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="madoguchi"'
    assert "STAFF_API_TOKEN" in wrong.json()["message"]["ja"]


def test_answers_carry_return_comment(client: Any) -> None:
    application, _ = returned_cook_licence(client)

    response = client.get(
        f"/api/applications/{application['reference_number']}/answers", headers=bearer(application["access_token"])
    )

    assert response.status_code == 200
    assert response.json()["return_comment"] == "電話番号を確認してください。"
