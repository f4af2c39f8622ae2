"""Submitting applications with attachments, the workflow's check, and staff downloads."""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
import requests

from tests import attachment_samples as samples
from tests.integration.attachments_helpers import (
    accepted_upload_id,
    cook_licence_files,
    request_upload,
    upload,
)

pytestmark = pytest.mark.integration

ATTACHMENT_LINK = re.compile(r'href="(/approvals/[A-Za-z0-9_-]+/attachments/[A-Za-z0-9_-]+)"[^>]*>([^<]+)</a>')


def example_answers(client: Any, procedure_id: str) -> dict[str, Any]:
    answers = dict(client.get(f"/api/procedures/{procedure_id}").json()["answers_schema"]["examples"][0])
    answers["email"] = f"attachments-{os.urandom(6).hex()}@example.jp"
    return answers


def submit(client: Any, procedure_id: str, answers: dict[str, Any]) -> requests.Response:
    return client.post(
        "/api/applications", json={"procedure_id": procedure_id, "answers": answers, "locale": "ja"}
    )


def errors_by_field(response: requests.Response) -> dict[str, dict[str, str]]:
    return {error["field"]: error for error in response.json()["errors"]}


def test_required_file_missing(client: Any) -> None:
    answers = example_answers(client, "cook-licence")
    del answers["medical_certificate"]

    response = submit(client, "cook-licence", {**answers, **cook_licence_files(client), "medical_certificate": []})

    assert response.status_code == 422
    assert errors_by_field(response)["medical_certificate"]["code"] == "answers.file_required"


def test_quarantined_file_rejected_on_submit(client: Any) -> None:
    files = cook_licence_files(client)
    # Granted but never sent: the upload is still pending in quarantine.
    pending = request_upload(client, "cook-licence", "medical_certificate", "a.pdf", "application/pdf", 431).json()
    answers = {**example_answers(client, "cook-licence"), **files, "medical_certificate": [pending["upload_id"]]}

    response = submit(client, "cook-licence", answers)

    error = errors_by_field(response)["medical_certificate"]
    assert response.status_code == 422
    assert error["code"] == "attachments.upload_pending"
    assert error["ja"]
    assert error["en"]


def test_upload_of_other_field_rejected(client: Any) -> None:
    files = cook_licence_files(client)
    answers = {
        **example_answers(client, "cook-licence"),
        **files,
        "medical_certificate": files["family_register"],
    }

    response = submit(client, "cook-licence", answers)

    assert response.status_code == 422
    assert errors_by_field(response)["medical_certificate"]["code"] == "attachments.upload_unknown"


def test_rejected_file_named_on_submit(client: Any) -> None:
    files = cook_licence_files(client)
    rejected = upload(client, "cook-licence", "medical_certificate", "a.pdf", "application/pdf", samples.pdf_with_javascript())
    answers = {**example_answers(client, "cook-licence"), **files, "medical_certificate": [rejected["upload_id"]]}

    response = submit(client, "cook-licence", answers)

    error = errors_by_field(response)["medical_certificate"]
    assert error["code"] == "attachments.upload_rejected"
    assert "JavaScript" in error["ja"]


def test_upload_used_once(client: Any) -> None:
    files = cook_licence_files(client)
    first = submit(client, "cook-licence", {**example_answers(client, "cook-licence"), **files})

    second = submit(client, "cook-licence", {**example_answers(client, "cook-licence"), **files})

    assert first.status_code == 201, first.text
    assert second.status_code == 422
    assert errors_by_field(second)["qualification_certificate"]["code"] == "attachments.upload_used"


def approval_page(client: Any, reference_number: str) -> tuple[str, str]:
    """Open the first route step's approval page of an application.

    Both procedures with file fields require identity verification, so their
    workflow waits before the approval route. The test creates the step's approval
    task directly, as the RequestApproval task would (the stack runs in-process).
    """
    from madoguchi.approvals.service import request_approval

    request_approval(reference_number, 0, f"test-task-token-{reference_number}")
    link = client.approval_link(reference_number)
    page = client.http.get(link, timeout=30)
    assert page.status_code == 200, page.text
    return link, page.text


def test_staff_download_japanese_name(client: Any) -> None:
    files = cook_licence_files(client)
    photo = upload(client, "cook-licence", "medical_certificate", "../../申請書 (1).pdf", "application/pdf", samples.pdf())
    answers = {**example_answers(client, "cook-licence"), **files, "medical_certificate": [photo["upload_id"]]}
    application = submit(client, "cook-licence", answers).json()

    _, page = approval_page(client, application["reference_number"])
    links = {name: href for href, name in ATTACHMENT_LINK.findall(page)}
    redirect = client.get(links["申請書 (1).pdf"], allow_redirects=False)
    download = requests.get(redirect.headers["Location"], timeout=30)

    disposition = download.headers["Content-Disposition"]
    assert redirect.status_code == 303
    assert redirect.headers["Location"].startswith(client.stack.aws_endpoint)
    assert "X-Amz-Expires=60" in redirect.headers["Location"]
    assert download.status_code == 200
    assert disposition.startswith("attachment;")
    assert 'filename="(1).pdf"' in disposition
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "申請書 (1).pdf"
    assert download.content == samples.pdf()


def test_download_refused_for_other_task(client: Any) -> None:
    first = submit(client, "cook-licence", {**example_answers(client, "cook-licence"), **cook_licence_files(client)}).json()
    second = submit(client, "cook-licence", {**example_answers(client, "cook-licence"), **cook_licence_files(client)}).json()
    _, first_page = approval_page(client, first["reference_number"])
    second_link, _ = approval_page(client, second["reference_number"])
    upload_path = ATTACHMENT_LINK.findall(first_page)[0][0]
    foreign = second_link.split("/approvals/")[0] + "/approvals/" + second_link.rsplit("/", 1)[1] + "/attachments/" + upload_path.rsplit("/", 1)[1]

    response = client.http.get(foreign, allow_redirects=False, timeout=30)

    assert response.status_code == 404


def test_workflow_flags_missing_attachment(client: Any, local_stack: Any) -> None:
    files = cook_licence_files(client)
    application = submit(client, "cook-licence", {**example_answers(client, "cook-licence"), **files}).json()
    reference_number = application["reference_number"]
    table = boto3.resource("dynamodb", region_name="ap-northeast-1").Table(os.environ["TABLE_NAME"])
    table.delete_item(Key={"PK": f"UPLOAD#{files['family_register'][0]}", "SK": "META"})
    lambda_client = boto3.client("lambda", region_name="ap-northeast-1")

    reply = lambda_client.invoke(
        FunctionName=local_stack.resources["CheckAttachmentsFunction"],
        Payload=json.dumps({"reference_number": reference_number}),
    )

    error = json.loads(reply["Payload"].read())
    status = client.status(reference_number, application["access_token"])
    assert reply.get("FunctionError")
    assert error["errorType"] == "AttachmentsNotAccepted"
    flagged = [entry for entry in status["history"] if entry["event"] == "attachments_flagged"]
    assert flagged
    assert "戸籍抄本" in flagged[-1]["comment"]
    assert flagged[-1]["label"]["ja"]


@pytest.mark.usefixtures("hunting_open")
def test_hunting_documents_journey(client: Any) -> None:
    medical = accepted_upload_id(client, "hunting-licence-exam", "medical_certificate", "pdf")
    photo = accepted_upload_id(client, "hunting-licence-exam", "photo", "heic")
    answers = {**example_answers(client, "hunting-licence-exam"), "medical_certificate": [medical], "photo": [photo]}

    response = submit(client, "hunting-licence-exam", answers)

    assert response.status_code == 201, response.text
    _, page = approval_page(client, response.json()["reference_number"])
    names = [name for _, name in ATTACHMENT_LINK.findall(page)]
    assert names == ["診断書.pdf", "IMG_0001.jpg"]
