"""Approval routes on the local stack: levels, consultation, delegation, reminders and
escalation, return and resubmission, withdrawal, and the audit export."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import yaml
from botocore.exceptions import ClientError

from tests.conftest import APPROVAL_LINK

pytestmark = pytest.mark.integration

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
TANTO = "seikatsu-tanto@example.pref.lg.jp"
KAKARICHO = "seikatsu-kakaricho@example.pref.lg.jp"
HOKENJO = "hokenjo-tanto@example.pref.lg.jp"


# --- helpers ---------------------------------------------------------------------------


def example_answers(client: Any, procedure_id: str, **changes: Any) -> dict[str, Any]:
    import uuid

    detail = client.get(f"/api/procedures/{procedure_id}").json()
    answers = dict(detail["answers_schema"]["examples"][0])
    answers["email"] = f"applicant-{uuid.uuid4().hex[:12]}@example.jp"
    answers.update(changes)
    return answers


def submit_notification(client: Any, **changes: Any) -> dict[str, Any]:
    answers = example_answers(client, "cook-employment-notification", **changes)
    response = client.post(
        "/api/applications",
        json={"procedure_id": "cook-employment-notification", "answers": answers, "locale": "ja"},
    )
    assert response.status_code == 201, response.text
    return {**response.json(), "email": answers["email"], "answers": answers}


def submit_cook_licence(client: Any) -> dict[str, Any]:
    """Submit a cook licence with identity and files, and pay its fee."""
    from identity_flow import cook_licence_uploads, verify_identity

    answers = {**example_answers(client, "cook-licence"), **cook_licence_uploads(client)}
    body = {
        "procedure_id": "cook-licence",
        "answers": answers,
        "locale": "ja",
        "identity_session_id": verify_identity(client, "cook-licence", "takahashi"),
    }
    response = client.post("/api/applications", json=body)
    assert response.status_code == 201, response.text
    application = {**response.json(), "email": answers["email"]}
    client.pay_fee(application["reference_number"], application["access_token"])
    return application


def approval_links(client: Any, reference_number: str, recipient: str | None = None,
                   subject: str = "承認依頼") -> list[str]:
    """Return every approval link mailed for an application, oldest first."""
    links = []
    for mail in client.outbox():
        if reference_number not in mail["subject"] or subject not in mail["subject"]:
            continue
        if recipient is not None and mail["to"] != [recipient]:
            continue
        links.append(APPROVAL_LINK.search(mail["text"]).group(0))
    return links


def wait_for_link(client: Any, reference_number: str, recipient: str | None = None,
                  subject: str = "承認依頼", exclude: tuple[str, ...] = (), timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = [link for link in approval_links(client, reference_number, recipient, subject) if link not in exclude]
        if fresh:
            return fresh[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {subject} link for {recipient or 'any approver'} arrived")


def decide(client: Any, link: str, decision: str, comment: str = "") -> requests.Response:
    page = client.http.get(link, timeout=30)
    assert page.status_code == 200, page.text
    csrf_token = CSRF_INPUT.search(page.text).group(1)
    return requests.post(link, data={"decision": decision, "comment": comment, "csrf_token": csrf_token}, timeout=30)


def audit(client: Any, reference_number: str) -> dict[str, Any]:
    response = client.get(
        f"/api/applications/{reference_number}/audit",
        headers={"Authorization": f"Bearer {client.stack.staff_api_token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def table() -> Any:
    return boto3.resource("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).Table(os.environ["TABLE_NAME"])


def executions(reference_number: str) -> dict[str, str]:
    """Return execution name → status for an application's workflow runs."""
    stepfunctions = boto3.client("stepfunctions", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    listed = stepfunctions.list_executions(stateMachineArn=os.environ["STATE_MACHINE_ARN"], maxResults=1000)
    return {
        e["name"]: e["status"] for e in listed["executions"]
        if e["name"] == reference_number or e["name"].startswith(reference_number + "-v")
    }


def wait_until(predicate: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def configure(local_stack: Any, tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Change settings and approval routes of the running stack for one test.

    Handlers run in this process and read cached settings and catalog, so the caches
    are cleared after each change and when the test ends.
    """
    from madoguchi.procedures import load_catalog
    from madoguchi.settings import get_settings

    saved = dict(os.environ)

    def apply(routes: dict[str, Any] | None = None, **variables: str) -> None:
        if routes is not None:
            path = tmp_path / "routes.yaml"
            path.write_text(yaml.safe_dump(routes, allow_unicode=True), encoding="utf-8")
            os.environ["APPROVAL_ROUTES_FILE"] = str(path)
        os.environ.update(variables)
        get_settings.cache_clear()
        load_catalog.cache_clear()

    yield apply
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()
    load_catalog.cache_clear()


CONSULTATION_ROUTE = {
    "cook-employment-notification": {
        "steps": [
            {
                "id": "acceptance",
                "title": {"ja": "受理（生活衛生課・保健所 合議）", "en": "Acceptance (consultation)"},
                "approver_roles": ["environmental-health-staff", "health-centre-staff"],
                "deadline_days": 10,
            }
        ]
    }
}


# --- sequential levels -----------------------------------------------------------------


def test_three_levels_end_to_end(client: Any) -> None:
    application = submit_cook_licence(client)
    reference_number = application["reference_number"]
    token = application["access_token"]

    for approver in (HOKENJO, KAKARICHO, "seikatsu-kacho@example.pref.lg.jp"):
        link = wait_for_link(client, reference_number, approver)
        assert decide(client, link, "approve").status_code == 200
    status = client.wait_for_status(reference_number, token, "completed", timeout=30)
    trail = audit(client, reference_number)

    events = [entry["event"] for entry in status["history"]]
    assert events.count("step_approved") == 2
    assert "approved" in events
    decisions = [item["entry"] for item in trail["entries"] if item["entry"]["event"] in ("step_approved", "approved")]
    assert [entry["actor"] for entry in decisions] == [
        "approver:health-centre-staff", "approver:environmental-health-chief", "approver:environmental-health-head",
    ]
    assert all(entry["answers_version"] == 1 for entry in decisions)
    wait_until(lambda: executions(reference_number) == {reference_number: "SUCCEEDED"})


# --- consultation (合議) -----------------------------------------------------------------


def test_consultation_one_rejection(client: Any, configure: Callable[..., None]) -> None:
    configure(routes=CONSULTATION_ROUTE)
    application = submit_notification(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    first = wait_for_link(client, reference_number, TANTO)
    second = wait_for_link(client, reference_number, HOKENJO)

    approved = decide(client, first, "approve")
    still_reviewing = client.status(reference_number, token)
    rejected = decide(client, second, "reject", "保健所の記録と一致しません。")
    status = client.wait_for_status(reference_number, token, "rejected")

    assert approved.status_code == 200
    assert "ほかの承認がそろうと" in html.unescape(approved.text)
    assert still_reviewing["status"] == "under_review"
    assert still_reviewing["history"][-1]["event"] == "step_role_approved"
    assert rejected.status_code == 200
    assert status["history"][-1]["comment"] == "保健所の記録と一致しません。"
    assert client.http.get(first, timeout=30).status_code == 409


def test_consultation_rejection_closes_others(client: Any, configure: Callable[..., None]) -> None:
    configure(routes=CONSULTATION_ROUTE)
    application = submit_notification(client)
    reference_number = application["reference_number"]
    first = wait_for_link(client, reference_number, TANTO)
    second = wait_for_link(client, reference_number, HOKENJO)

    decide(client, first, "return", "勤務先の所在地を確認してください。")
    client.wait_for_status(reference_number, application["access_token"], "returned")

    assert client.http.get(second, timeout=30).status_code == 409
    task = table().get_item(Key={"PK": f"APPROVAL#{second.rsplit('/', 1)[1]}", "SK": "META"})["Item"]
    assert task["state"] == "superseded"


def test_consultation_all_approve(client: Any, configure: Callable[..., None]) -> None:
    configure(routes=CONSULTATION_ROUTE)
    application = submit_notification(client)
    reference_number = application["reference_number"]
    links = [wait_for_link(client, reference_number, TANTO), wait_for_link(client, reference_number, HOKENJO)]

    for link in links:
        assert decide(client, link, "approve").status_code == 200
    status = client.wait_for_status(reference_number, application["access_token"], "completed")

    events = [entry["event"] for entry in status["history"]]
    assert events.count("step_role_approved") == 1
    assert events.count("approved") == 1


# --- delegation (代理) -------------------------------------------------------------------


def test_delegate_gets_link(client: Any, configure: Callable[..., None]) -> None:
    substitute = "seikatsu-dairi@example.pref.lg.jp"
    configure(APPROVER_DELEGATES=json.dumps({
        TANTO: {"substitute": substitute, "ends_at": "2099-01-01T00:00:00+09:00"},
    }))
    application = submit_notification(client)
    reference_number = application["reference_number"]

    link = wait_for_link(client, reference_number, substitute)
    response = decide(client, link, "approve")
    client.wait_for_status(reference_number, application["access_token"], "completed")
    trail = audit(client, reference_number)

    assert response.status_code == 200
    assert approval_links(client, reference_number, TANTO) == []
    approved = next(item["entry"] for item in trail["entries"] if item["entry"]["event"] == "approved")
    assert approved["acting_as"] == "代理"
    assert approved["actor"] == f"substitute:{substitute} for approver:environmental-health-staff"


def test_past_delegation_ignored(client: Any, configure: Callable[..., None]) -> None:
    configure(APPROVER_DELEGATES=json.dumps({
        "environmental-health-staff": {"substitute": "old-dairi@example.pref.lg.jp",
                                       "ends_at": "2020-01-01T00:00:00+09:00"},
    }))
    application = submit_notification(client)

    link = wait_for_link(client, application["reference_number"], TANTO)

    assert link
    assert approval_links(client, application["reference_number"], "old-dairi@example.pref.lg.jp") == []


# --- reminders and escalation ----------------------------------------------------------


def test_reminder_then_escalation(client: Any, configure: Callable[..., None]) -> None:
    # Ten days last two seconds: the reminder after one second, the escalation after two.
    configure(
        APPROVAL_DEADLINE_SCALE_SECONDS_PER_DAY="0.2",
        APPROVER_ESCALATIONS=json.dumps({"environmental-health-staff": ["environmental-health-chief"]}),
    )
    application = submit_notification(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    original = wait_for_link(client, reference_number, TANTO)

    reminder = wait_for_link(client, reference_number, TANTO, subject="承認期限が近づいています", timeout=10)
    escalated = wait_for_link(client, reference_number, KAKARICHO, subject="期限超過", timeout=10)
    original_still_open = client.http.get(original, timeout=30).status_code
    response = decide(client, escalated, "approve")
    status = client.wait_for_status(reference_number, token, "completed")
    trail = audit(client, reference_number)

    assert reminder == original
    assert escalated != original
    assert original_still_open == 200
    assert response.status_code == 200
    assert client.http.get(original, timeout=30).status_code == 409
    events = [entry["event"] for entry in status["history"]]
    assert events.index("approval_reminded") < events.index("approval_escalated") < events.index("approved")
    approved = next(item["entry"] for item in trail["entries"] if item["entry"]["event"] == "approved")
    assert approved["acting_as"] == "escalation"


def test_original_link_decides_after_escalation(client: Any, configure: Callable[..., None]) -> None:
    configure(
        APPROVAL_DEADLINE_SCALE_SECONDS_PER_DAY="0.2",
        APPROVER_ESCALATIONS=json.dumps({"environmental-health-staff": [KAKARICHO]}),
    )
    application = submit_notification(client)
    reference_number = application["reference_number"]
    original = wait_for_link(client, reference_number, TANTO)
    escalated = wait_for_link(client, reference_number, KAKARICHO, subject="期限超過", timeout=10)

    response = decide(client, original, "approve")
    client.wait_for_status(reference_number, application["access_token"], "completed")

    assert response.status_code == 200
    assert client.http.get(escalated, timeout=30).status_code == 409


# --- return for correction and resubmission --------------------------------------------


def test_return_resubmit_approve_with_diff(client: Any) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    first_link = wait_for_link(client, reference_number, TANTO)
    decide(client, first_link, "return", "勤務先の名称を正式名称にしてください。")
    client.wait_for_status(reference_number, token, "returned")

    current = client.get(f"/api/applications/{reference_number}/answers", headers=bearer(token))
    corrected = {**current.json()["answers"], "workplace_name": "食堂まどぐち 本店（株式会社まどぐち）"}
    response = client.post(
        f"/api/applications/{reference_number}/resubmissions", json={"answers": corrected}, headers=bearer(token)
    )
    second_link = wait_for_link(client, reference_number, TANTO, exclude=(first_link,))
    page = client.http.get(second_link, timeout=30)

    assert current.status_code == 200
    assert current.json()["answers_version"] == 1
    assert response.status_code == 201, response.text
    assert response.json()["answers_version"] == 2
    assert page.status_code == 200
    changes = re.search(r'<table class="changes">.*?</table>', page.text, re.DOTALL).group(0)
    assert 'data-field="workplace_name"' in changes
    assert html.escape(application["answers"]["workplace_name"]) in changes
    assert html.escape("食堂まどぐち 本店（株式会社まどぐち）") in changes
    assert changes.count("<tr data-field") == 1

    assert decide(client, second_link, "approve").status_code == 200
    status = client.wait_for_status(reference_number, token, "completed")
    events = [entry["event"] for entry in status["history"]]
    assert events[:4] == ["submitted", "review_started", "returned", "resubmitted"]
    wait_until(lambda: executions(reference_number) == {
        reference_number: "SUCCEEDED", f"{reference_number}-v2": "SUCCEEDED",
    })
    trail = audit(client, reference_number)
    assert [item["entry"]["answers_version"] for item in trail["entries"]][-1] == 2


def test_resubmission_keeps_old_version(client: Any) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    decide(client, wait_for_link(client, reference_number, TANTO), "return", "氏名のフリガナを確認してください。")
    client.wait_for_status(reference_number, token, "returned")
    answers = client.get(f"/api/applications/{reference_number}/answers", headers=bearer(token)).json()["answers"]
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    prefix = f"answers/cook-employment-notification/{reference_number}/"
    before = s3.get_object(Bucket=os.environ["ANSWERS_BUCKET"], Key=prefix + "v1.json")["Body"].read()

    first = client.post(f"/api/applications/{reference_number}/resubmissions",
                        json={"answers": {**answers, "workplace_name": "食堂まどぐち 西店"}}, headers=bearer(token))
    second = client.post(f"/api/applications/{reference_number}/resubmissions",
                         json={"answers": answers}, headers=bearer(token))

    after = s3.get_object(Bucket=os.environ["ANSWERS_BUCKET"], Key=prefix + "v1.json")["Body"].read()
    v2 = json.loads(s3.get_object(Bucket=os.environ["ANSWERS_BUCKET"], Key=prefix + "v2.json")["Body"].read())
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["error"] == "not_returned"
    assert after == before
    assert v2["answers"]["workplace_name"] == "食堂まどぐち 西店"


def test_resubmission_validated(client: Any) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    decide(client, wait_for_link(client, reference_number, TANTO), "return", "郵便番号を確認してください。")
    client.wait_for_status(reference_number, token, "returned")
    answers = client.get(f"/api/applications/{reference_number}/answers", headers=bearer(token)).json()["answers"]

    invalid = client.post(f"/api/applications/{reference_number}/resubmissions",
                          json={"answers": {**answers, "postal_code": "12"}}, headers=bearer(token))
    wrong_token = client.post(f"/api/applications/{reference_number}/resubmissions",
                              json={"answers": answers}, headers=bearer("A" * 43))

    assert invalid.status_code == 422
    assert [error["field"] for error in invalid.json()["errors"]] == ["postal_code"]
    assert wrong_token.status_code == 404
    assert client.status(reference_number, token)["status"] == "returned"


def test_resubmit_before_return_rejected(client: Any) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    client.wait_for_status(reference_number, token, "under_review")

    response = client.post(f"/api/applications/{reference_number}/resubmissions",
                           json={"answers": application["answers"]}, headers=bearer(token))

    assert response.status_code == 409
    assert response.json()["status"] == "under_review"


# --- withdrawal ------------------------------------------------------------------------


def test_withdraw_paid_before_review_refunds(client: Any) -> None:
    application = submit_cook_licence(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    link = wait_for_link(client, reference_number, HOKENJO)

    response = client.post(f"/api/applications/{reference_number}/withdrawal", headers=bearer(token))
    status = client.status(reference_number, token)
    mail = client.wait_for_mail(lambda m: application["email"] in m["to"] and "【取下げ】" in m["subject"])

    assert response.status_code == 200, response.text
    assert response.json()["refund_requested"] is True
    assert status["status"] == "withdrawn"
    assert status["history"][-1]["event"] == "withdrawn"
    assert client.http.get(link, timeout=30).status_code == 409
    # moto 5.2.5 reports a stopped execution RUNNING until its waiting task ends, so the
    # test checks that StopExecution accepted the execution's ARN.
    assert response.json()["workflow_stopped"] is True
    wait_until(lambda: client.status(reference_number, token)["payment"]["state"] == "refunded")
    assert reference_number in mail["text"]


def test_withdraw_under_review_after_step(client: Any) -> None:
    application = submit_cook_licence(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    decide(client, wait_for_link(client, reference_number, HOKENJO), "approve")
    second = wait_for_link(client, reference_number, KAKARICHO)

    response = client.post(f"/api/applications/{reference_number}/withdrawal", headers=bearer(token))

    assert response.status_code == 200, response.text
    assert response.json()["refund_requested"] is False
    assert client.status(reference_number, token)["payment"]["state"] == "paid"
    assert client.http.get(second, timeout=30).status_code == 409
    task = table().get_item(Key={"PK": f"APPROVAL#{second.rsplit('/', 1)[1]}", "SK": "META"})["Item"]
    assert task["state"] == "withdrawn"
    assert response.json()["workflow_stopped"] is True


def test_withdraw_without_fee(client: Any) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    link = wait_for_link(client, reference_number, TANTO)

    response = client.post(f"/api/applications/{reference_number}/withdrawal", headers=bearer(token))
    again = client.post(f"/api/applications/{reference_number}/withdrawal", headers=bearer(token))

    assert response.status_code == 200
    assert again.status_code == 409
    assert again.json()["error"] == "withdrawal_not_allowed"
    assert client.http.get(link, timeout=30).status_code == 409


def test_withdraw_after_completion_rejected(client: Any) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    token = application["access_token"]
    decide(client, wait_for_link(client, reference_number, TANTO), "approve")
    client.wait_for_status(reference_number, token, "completed")

    response = client.post(f"/api/applications/{reference_number}/withdrawal", headers=bearer(token))

    assert response.status_code == 409
    assert response.json()["status"] == "completed"


# --- audit export ----------------------------------------------------------------------


def test_audit_needs_staff_token(client: Any) -> None:
    application = submit_notification(client)
    path = f"/api/applications/{application['reference_number']}/audit"

    missing = client.get(path)
    applicant = client.get(path, headers=bearer(application["access_token"]))

    assert missing.status_code == 401
    assert applicant.status_code == 401


def test_audit_detects_record_edit(client: Any, tmp_path: Path) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    decide(client, wait_for_link(client, reference_number, TANTO), "return", "添付書類を確認してください。")
    client.wait_for_status(reference_number, application["access_token"], "returned")
    earlier = audit(client, reference_number)
    returned_index = next(i for i, item in enumerate(earlier["entries"]) if item["entry"]["event"] == "returned")

    table().update_item(
        Key={"PK": f"APPLICATION#{reference_number}", "SK": "META"},
        UpdateExpression=f"SET history[{returned_index}].#comment = :comment",
        ExpressionAttributeNames={"#comment": "comment"},
        ExpressionAttributeValues={":comment": "問題ありません。"},
    )
    later = audit(client, reference_number)
    (tmp_path / "earlier.json").write_text(json.dumps(earlier, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "later.json").write_text(json.dumps(later, ensure_ascii=False), encoding="utf-8")
    import subprocess
    import sys

    good = subprocess.run([sys.executable, "-m", "madoguchi.audit", "verify", str(tmp_path / "earlier.json")],
                          capture_output=True, text=True, timeout=60, check=False)
    broken = subprocess.run(
        [sys.executable, "-m", "madoguchi.audit", "verify", str(tmp_path / "later.json"),
         "--previous", str(tmp_path / "earlier.json")],
        capture_output=True, text=True, timeout=60, check=False,
    )

    assert good.returncode == 0, good.stdout + good.stderr
    assert broken.returncode == 1
    assert broken.stdout.startswith(f"broken: entry {returned_index}:")


# --- audit anchors (write-once, S3 Object Lock) ---------------------------------------------


def s3_client() -> Any:
    return boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def anchor_bucket(client: Any) -> str:
    return client.stack.resources["AuditAnchorsBucket"]


def stored_history(reference_number: str) -> list[dict[str, Any]]:
    key = {"PK": f"APPLICATION#{reference_number}", "SK": "META"}
    return table().get_item(Key=key, ConsistentRead=True)["Item"]["history"]


def anchor_keys(client: Any, reference_number: str) -> list[str]:
    listed = s3_client().list_objects_v2(Bucket=anchor_bucket(client), Prefix=f"anchors/{reference_number}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def wait_for_anchors(client: Any, reference_number: str) -> int:
    """Wait until every stored history entry has an anchor; return the number of entries."""
    wait_until(lambda: len(anchor_keys(client, reference_number)) == len(stored_history(reference_number)))
    return len(stored_history(reference_number))


def run_audit_verify(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "madoguchi.audit", "verify", *arguments],
                          capture_output=True, text=True, timeout=60, check=False)


def test_audit_anchors_match(client: Any) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    wait_for_link(client, reference_number, TANTO)
    entries = wait_for_anchors(client, reference_number)

    trail = audit(client, reference_number)

    assert len(trail["entries"]) == entries
    assert trail["anchors"]["verified"] is True
    assert trail["anchors"]["matched"] == list(range(entries))
    assert trail["anchors"]["first_problem"] is None


def test_audit_anchors_detect_edit_before_export(client: Any, tmp_path: Path) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    wait_for_link(client, reference_number, TANTO)
    entries = wait_for_anchors(client, reference_number)
    assert entries >= 2

    # No export exists yet, so comparing with an earlier export cannot find this edit.
    table().update_item(
        Key={"PK": f"APPLICATION#{reference_number}", "SK": "META"},
        UpdateExpression="SET history[1].#actor = :actor",
        ExpressionAttributeNames={"#actor": "actor"},
        ExpressionAttributeValues={":actor": "approver:someone-else"},
    )
    trail = audit(client, reference_number)
    export = tmp_path / "audit.json"
    export.write_text(json.dumps(trail, ensure_ascii=False), encoding="utf-8")
    copy = tmp_path / "anchors"
    copy.mkdir()
    for key in anchor_keys(client, reference_number):
        s3_client().download_file(anchor_bucket(client), key, str(copy / key.rsplit("/", 1)[1]))
    chain_only = run_audit_verify(str(export))
    against_bucket = run_audit_verify(str(export), "--anchors", f"s3://{anchor_bucket(client)}")
    against_copy = run_audit_verify(str(export), "--anchors-dir", str(copy))

    assert trail["anchors"]["verified"] is False
    assert trail["anchors"]["matched"] == [0]
    assert trail["anchors"]["mismatched"] == list(range(1, len(trail["entries"])))
    assert trail["anchors"]["first_problem"] == {"index": 1, "reason": "hash differs from its anchor"}
    assert chain_only.returncode == 0, chain_only.stdout + chain_only.stderr
    assert against_bucket.returncode == 1, against_bucket.stdout + against_bucket.stderr
    assert against_bucket.stdout.startswith("broken: entry 1: hash differs from its anchor")
    assert against_copy.returncode == 1, against_copy.stdout + against_copy.stderr
    assert against_copy.stdout.startswith("broken: entry 1: hash differs from its anchor")


def test_locked_anchor_not_replaceable(client: Any) -> None:
    application = submit_notification(client)
    reference_number = application["reference_number"]
    wait_until(lambda: f"anchors/{reference_number}/000000.json" in anchor_keys(client, reference_number))
    s3 = s3_client()
    bucket = anchor_bucket(client)
    key = f"anchors/{reference_number}/000000.json"
    original = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"][0]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    forged = json.dumps({**json.loads(body), "hash": "f" * 64}).encode()

    with pytest.raises(ClientError) as conditional:
        s3.put_object(Bucket=bucket, Key=key, Body=forged, IfNoneMatch="*")
    with pytest.raises(ClientError) as deletion:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=original["VersionId"])
    # In AWS the bucket policy denies a put without If-None-Match. moto applies no
    # bucket policies, so here it adds a newer version over the locked one.
    s3.put_object(Bucket=bucket, Key=key, Body=forged)
    trail = audit(client, reference_number)

    assert conditional.value.response["Error"]["Code"] == "PreconditionFailed"
    assert deletion.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key=key, VersionId=original["VersionId"])["Body"].read() == body
    assert 0 in trail["anchors"]["matched"]
    assert trail["anchors"]["overwritten"] == [0]
    assert trail["anchors"]["verified"] is False
