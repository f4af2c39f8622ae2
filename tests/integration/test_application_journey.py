"""The applicant's and the approvers' journey over HTTP on the embedded local stack."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from typing import Any

import boto3
import pytest
import requests

pytestmark = pytest.mark.integration

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def unique_email() -> str:
    return f"applicant-{uuid.uuid4().hex[:12]}@example.jp"


def example_answers(client: Any, procedure_id: str, **changes: Any) -> dict[str, Any]:
    detail = client.get(f"/api/procedures/{procedure_id}").json()
    answers = dict(detail["answers_schema"]["examples"][0])
    answers["email"] = unique_email()
    answers.update(changes)
    return answers


def submit(
    client: Any,
    procedure_id: str = "cook-employment-notification",
    answers: dict[str, Any] | None = None,
    key: str | None = None,
    locale: str = "ja",
) -> requests.Response:
    body = {
        "procedure_id": procedure_id,
        "answers": answers if answers is not None else example_answers(client, procedure_id),
        "locale": locale,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/applications", json=body, headers=headers)


def submitted(client: Any, procedure_id: str = "cook-employment-notification", **changes: Any) -> dict:
    answers = example_answers(client, procedure_id, **changes)
    response = submit(client, procedure_id, answers)
    assert response.status_code == 201, response.text
    return {**response.json(), "email": answers["email"]}


def approval_form(client: Any, link: str) -> str:
    page = client.http.get(link, timeout=30)
    assert page.status_code == 200, page.text
    return CSRF_INPUT.search(page.text).group(1)


def decide(link: str, decision: str, csrf_token: str, comment: str = "") -> requests.Response:
    form = {"decision": decision, "comment": comment, "csrf_token": csrf_token}
    return requests.post(link, data=form, timeout=30)


def mails_about(client: Any, reference_number: str) -> list[dict[str, Any]]:
    return [mail for mail in client.outbox() if reference_number in mail["subject"]]


def task_key(link: str) -> dict[str, str]:
    return {"PK": f"APPROVAL#{link.rsplit('/', 1)[1]}", "SK": "META"}


def table() -> Any:
    return boto3.resource("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).Table(
        os.environ["TABLE_NAME"]
    )


# --- full journeys ---------------------------------------------------------------------


def test_approve_completes_with_mails(client: Any) -> None:
    application = submitted(client)
    reference_number = application["reference_number"]
    token = application["access_token"]

    link = client.approval_link(reference_number)
    response = decide(link, "approve", approval_form(client, link))
    status = client.wait_for_status(reference_number, token, "completed")
    decision_mail = client.wait_for_mail(
        lambda m: application["email"] in m["to"] and "【完了】" in m["subject"]
    )

    assert response.status_code == 200
    assert [entry["event"] for entry in status["history"]] == [
        "submitted", "review_started", "approved", "completed",
    ]
    receipts = [
        m for m in mails_about(client, reference_number)
        if application["email"] in m["to"] and "【受付完了】" in m["subject"]
    ]
    approver_mails = [
        m for m in mails_about(client, reference_number)
        if m["to"] == ["seikatsu-tanto@example.pref.lg.jp"]
    ]
    assert len(receipts) == 1
    assert len(approver_mails) == 1
    for mail in (receipts[0], approver_mails[0], decision_mail):
        assert JAPANESE.search(mail["subject"]), mail["subject"]
        assert "調理師業務従事者届" in mail["subject"]
        assert reference_number in mail["text"]
        assert mail["text"].encode("utf-8").decode("utf-8") == mail["text"]
    assert "完了" in decision_mail["text"]
    assert f"/status/{reference_number}#token={token}" in decision_mail["text"]


def test_english_applicant_gets_english_mail(client: Any) -> None:
    answers = example_answers(client, "cook-employment-notification")
    response = submit(client, answers=answers, locale="en")
    reference_number = response.json()["reference_number"]

    receipt = client.wait_for_mail(
        lambda m: answers["email"] in m["to"] and reference_number in m["subject"]
    )

    assert "Cook employment notification" in receipt["subject"]


def test_reject_comment_reaches_applicant(client: Any) -> None:
    application = submitted(client)
    reference_number = application["reference_number"]
    comment = "免許登録番号が確認できません。𠮷田様の免許証の写しをご確認ください。"

    link = client.approval_link(reference_number)
    response = decide(link, "reject", approval_form(client, link), comment)
    status = client.wait_for_status(reference_number, application["access_token"], "rejected")
    mail = client.wait_for_mail(
        lambda m: application["email"] in m["to"] and "【受付完了】" not in m["subject"]
        and reference_number in m["subject"]
    )

    assert response.status_code == 200
    assert status["history"][-1]["event"] == "rejected"
    assert status["history"][-1]["comment"] == comment
    assert status["history"][-1]["label"] == {"ja": "不承認となりました", "en": "Rejected"}
    assert comment in mail["text"]


def test_reject_needs_comment(client: Any) -> None:
    application = submitted(client)
    link = client.approval_link(application["reference_number"])
    csrf_token = approval_form(client, link)

    response = decide(link, "reject", csrf_token)

    assert response.status_code == 422
    assert client.http.get(link, timeout=30).status_code == 200


def test_return_for_correction(client: Any) -> None:
    application = submitted(client)
    reference_number = application["reference_number"]
    comment = "施設の所在地に番地を追記してください。"

    link = client.approval_link(reference_number)
    decide(link, "return", approval_form(client, link), comment)
    status = client.wait_for_status(reference_number, application["access_token"], "returned")
    mail = client.wait_for_mail(
        lambda m: application["email"] in m["to"] and "【受付完了】" not in m["subject"]
        and reference_number in m["subject"]
    )

    assert status["history"][-1]["event"] == "returned"
    assert status["history"][-1]["comment"] == comment
    assert status["status_label"]["en"] == "Returned for correction"
    assert comment in mail["text"]


def test_three_step_route_in_order(client: Any) -> None:
    from identity_flow import cook_licence_uploads, verify_identity

    # The cook licence requires the My Number card check; the example answers are
    # the local provider's test person "takahashi".
    answers = {**example_answers(client, "cook-licence"), **cook_licence_uploads(client)}
    body = {
        "procedure_id": "cook-licence",
        "answers": answers,
        "locale": "ja",
        "identity_session_id": verify_identity(client, "cook-licence", "takahashi"),
    }
    response = client.post("/api/applications", json=body)
    assert response.status_code == 201, response.text
    application = response.json()
    reference_number = application["reference_number"]
    token = application["access_token"]
    client.pay_fee(reference_number, token)
    approvers = [
        "hokenjo-tanto@example.pref.lg.jp",
        "seikatsu-kakaricho@example.pref.lg.jp",
        "seikatsu-kacho@example.pref.lg.jp",
    ]

    for step_number, approver in enumerate(approvers, start=1):
        link = client.approval_link(reference_number, step_number)
        later = [
            m for m in mails_about(client, reference_number)
            if "承認依頼" in m["subject"] and f"（{step_number + 1} / 3" in m["text"]
        ]
        assert later == [], f"step {step_number + 1} was requested before step {step_number}"
        request_mail = client.wait_for_mail(
            lambda m, n=step_number: "承認依頼" in m["subject"]
            and reference_number in m["subject"] and f"（{n} / 3" in m["text"]
        )
        assert request_mail["to"] == [approver]
        assert decide(link, "approve", approval_form(client, link)).status_code == 200

    status = client.wait_for_status(reference_number, token, "completed")

    events = [entry["event"] for entry in status["history"]]
    assert events == [
        "submitted", "identity_matched", "payment_requested", "payment_received", "review_started",
        "step_approved", "step_approved", "approved", "completed",
    ]
    assert status["history"][5]["label"]["ja"] == "「保健所 受付・確認」で承認されました"
    assert status["fee_amount"] == 5600


# --- idempotency -----------------------------------------------------------------------


def test_idempotent_resubmission(client: Any) -> None:
    key = f"test-{uuid.uuid4()}"
    answers = example_answers(client, "cook-employment-notification")

    first = submit(client, answers=answers, key=key)
    second = submit(client, answers=answers, key=key)
    client.wait_for_mail(lambda m: answers["email"] in m["to"])
    time.sleep(0.2)  # a duplicate workflow would send its receipt within this time

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json()["reference_number"] == first.json()["reference_number"]
    assert second.json()["access_token"] == first.json()["access_token"]
    receipts = [m for m in client.outbox() if answers["email"] in m["to"]]
    assert len(receipts) == 1
    items = table().scan(
        FilterExpression="applicant_email = :email",
        ExpressionAttributeValues={":email": answers["email"]},
    )["Items"]
    assert len(items) == 1


def test_idempotency_key_other_body(client: Any) -> None:
    key = f"test-{uuid.uuid4()}"
    answers = example_answers(client, "cook-employment-notification")
    changed = {**answers, "workplace_name": "食堂まどぐち 駅前店"}

    first = submit(client, answers=answers, key=key)
    second = submit(client, answers=changed, key=key)

    assert first.status_code == 201
    assert second.status_code == 422
    assert second.json()["error"] == "idempotency_key_reused"
    assert second.json()["message"]["ja"]
    assert second.json()["message"]["en"]


def test_idempotency_key_invalid(client: Any) -> None:
    response = submit(client, key="k" * 256)

    assert response.status_code == 400
    assert response.json()["error"] == "idempotency_key_invalid"


# --- submission errors -----------------------------------------------------------------


def test_invalid_answers_details(client: Any) -> None:
    answers = example_answers(
        client, "cook-employment-notification",
        postal_code="１２３－４５", birth_date="平成31年5月1日", full_name="𠮷" * 31, nickname="x",
    )

    response = submit(client, answers=answers)

    body = response.json()
    assert response.status_code == 422
    assert body["error"] == "invalid_answers"
    assert [error["field"] for error in body["errors"]] == [
        "full_name", "birth_date", "postal_code", "nickname",
    ]
    for error in body["errors"]:
        assert error["ja"], error
        assert error["en"], error
        assert error["code"], error


def test_closed_window_rejected(client: Any) -> None:
    response = submit(client, "hunting-licence-exam")

    body = response.json()
    assert response.status_code == 422
    assert body["error"] == "procedure_closed"
    assert "2027-07-05 08:30" in body["message"]["ja"]
    assert "2027-10-04 17:15" in body["message"]["en"]
    assert body["message"]["ja"] != body["message"]["en"]


# --- approval links --------------------------------------------------------------------


def test_approval_link_get_head_post(client: Any) -> None:
    application = submitted(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    link = client.approval_link(reference_number)

    head = requests.head(link, timeout=30)
    csrf_token = approval_form(client, link)
    again = client.http.get(link, timeout=30)
    status_before = client.status(reference_number, token)
    first = decide(link, "approve", csrf_token)
    second = decide(link, "approve", csrf_token)

    assert head.status_code == 200
    assert again.status_code == 200
    assert status_before["status"] == "under_review"
    assert first.status_code == 200
    assert second.status_code == 409
    assert client.wait_for_status(reference_number, token, "completed")["status"] == "completed"
    assert client.http.get(link, timeout=30).status_code == 409


def test_approval_page_shows_name_as_typed(client: Any) -> None:
    application = submitted(client, full_name="葛\U000e0100城 﨑子")
    link = client.approval_link(application["reference_number"])

    page = client.http.get(link, timeout=30)

    assert "葛\U000e0100城 﨑子" in page.text


def test_concurrent_decisions_one_wins(client: Any) -> None:
    application = submitted(client)
    reference_number = application["reference_number"]
    link = client.approval_link(reference_number)
    csrf_token = approval_form(client, link)
    barrier = threading.Barrier(6)
    codes: list[int] = []
    lock = threading.Lock()

    def post(decision: str) -> None:
        barrier.wait()
        code = decide(link, decision, csrf_token, "同時送信").status_code
        with lock:
            codes.append(code)

    threads = [
        threading.Thread(target=post, args=(decision,))
        for decision in ["approve", "reject", "return", "approve", "reject", "return"]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(codes) == [200, 409, 409, 409, 409, 409]
    task = table().get_item(Key=task_key(link), ConsistentRead=True)["Item"]
    assert task["state"] == "decided"
    final = {"approve": "completed", "reject": "rejected", "return": "returned"}[task["decision"]]
    status = client.wait_for_status(reference_number, application["access_token"], final)
    decisions = [e for e in status["history"] if e["event"] in ("approved", "rejected", "returned")]
    assert len(decisions) == 1


def test_wrong_csrf_token_rejected(client: Any) -> None:
    application = submitted(client)
    reference_number = application["reference_number"]
    link = client.approval_link(reference_number)
    approval_form(client, link)

    response = decide(link, "approve", "forged-token")

    assert response.status_code == 403
    task = table().get_item(Key=task_key(link), ConsistentRead=True)["Item"]
    assert task["state"] == "pending"
    assert client.http.get(link, timeout=30).status_code == 200
    assert client.status(reference_number, application["access_token"])["status"] == "under_review"


def test_expired_link_decides_nothing(client: Any) -> None:
    application = submitted(client)
    reference_number = application["reference_number"]
    link = client.approval_link(reference_number)
    csrf_token = approval_form(client, link)
    past = int(time.time()) - 3600
    table().update_item(
        Key=task_key(link),
        UpdateExpression="SET link_expires_epoch = :epoch, expires_at = :at",
        ExpressionAttributeValues={
            ":epoch": past,
            ":at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(past)),
        },
    )

    page = client.http.get(link, timeout=30)
    response = decide(link, "approve", csrf_token)

    assert page.status_code == 410
    assert response.status_code in (409, 410)
    task = table().get_item(Key=task_key(link), ConsistentRead=True)["Item"]
    assert task["state"] == "pending"
    assert "decision" not in task
    assert client.status(reference_number, application["access_token"])["status"] == "under_review"


def test_unknown_approval_link(client: Any) -> None:
    response = client.get("/approvals/" + "x" * 43)

    assert response.status_code == 404


# --- status ----------------------------------------------------------------------------


def test_status_not_found_bodies_equal(client: Any) -> None:
    application = submitted(client)
    path = f"/api/applications/{application['reference_number']}"

    wrong = client.get(path, headers={"Authorization": "Bearer " + "A" * 43})
    missing = client.get(path)
    unknown = client.get(
        "/api/applications/2026-0000-0000",
        headers={"Authorization": f"Bearer {application['access_token']}"},
    )

    assert wrong.status_code == 404
    assert missing.status_code == 404
    assert unknown.status_code == 404
    assert wrong.content == missing.content
    assert wrong.content == unknown.content
    assert wrong.json()["error"] == "application_not_found"


def test_status_json_documented(client: Any) -> None:
    application = submitted(client)
    documented = client.get("/api/openapi.json").json()["components"]["schemas"][
        "ApplicationStatus"
    ]["properties"]["status"]["enum"]

    status = client.wait_for_status(
        application["reference_number"], application["access_token"], "under_review"
    )

    assert status["status"] in documented
    assert status["status_label"] == {"ja": "審査中", "en": "Under review"}
    for entry in status["history"]:
        assert entry["status"] in documented
        assert entry["label"]["ja"], entry
        assert entry["label"]["en"], entry


def test_status_page_html(client: Any) -> None:
    application = submitted(client)

    response = client.get(f"/status/{application['reference_number']}")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert application["reference_number"] in response.text


# --- stored data and workflow ----------------------------------------------------------


def test_answers_encrypted_with_kms(client: Any) -> None:
    application = submitted(client)
    reference_number = application["reference_number"]
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    key = f"answers/cook-employment-notification/{reference_number}/v1.json"

    head = s3.head_object(Bucket=os.environ["ANSWERS_BUCKET"], Key=key)
    stored = s3.get_object(Bucket=os.environ["ANSWERS_BUCKET"], Key=key)["Body"].read()

    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == os.environ["ANSWERS_KMS_KEY_ID"]
    assert "𠮷田 髙子".encode() in stored
    assert "ヨシダ\u3000タカコ".encode() in stored


def test_execution_named_after_reference(client: Any) -> None:
    application = submitted(client)
    stepfunctions = boto3.client("stepfunctions", endpoint_url=os.environ["AWS_ENDPOINT_URL"])

    executions = stepfunctions.list_executions(
        stateMachineArn=os.environ["STATE_MACHINE_ARN"], maxResults=1000
    )["executions"]

    names = [execution["name"] for execution in executions]
    assert names.count(application["reference_number"]) == 1


def test_overlong_comment_decides_nothing(client: Any) -> None:
    application = submitted(client)
    link = client.approval_link(application["reference_number"])
    csrf_token = approval_form(client, link)

    response = decide(link, "reject", csrf_token, comment="あ" * 2001)

    assert response.status_code == 422
    assert "2000文字以内" in response.text
    task = table().get_item(Key=task_key(link), ConsistentRead=True)["Item"]
    assert task["state"] == "pending"


def test_deeply_nested_json_rejected(client: Any) -> None:
    body = '{"procedure_id": "cook-employment-notification", "answers": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = client.post(
        "/api/applications", data=body.encode(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_oversized_body_rejected(client: Any) -> None:
    answers = {"full_name": "あ" * 200_000}

    response = client.post(
        "/api/applications", json={"procedure_id": "cook-employment-notification", "answers": answers}
    )

    assert response.status_code == 413
    assert response.json()["message"]["ja"]
    assert response.json()["message"]["en"]
