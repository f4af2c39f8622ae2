"""Attachments over HTTP on the local stack: presigned POSTs, checks on arrival, states."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, unquote

import boto3
import pytest
import requests
from madoguchi.i18n import translate_all

from tests import attachment_samples as samples
from tests.integration.attachments_helpers import (
    ACCEPTED_FILES,
    request_upload,
    upload,
    wait_until_checked,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PROCEDURE = "cook-licence"
FIELD = "medical_certificate"
LIMIT = 10 * 1024 * 1024


def s3() -> Any:
    return boto3.client("s3", region_name="ap-northeast-1")


def accepted_object(upload_id: str) -> dict[str, Any]:
    return s3().get_object(Bucket=os.environ["UPLOADS_BUCKET"], Key=f"accepted/{upload_id}")


def quarantine_keys() -> list[str]:
    listing = s3().list_objects_v2(Bucket=os.environ["UPLOADS_BUCKET"], Prefix="quarantine/")
    return [item["Key"] for item in listing.get("Contents", [])]


@pytest.mark.parametrize("kind", sorted(ACCEPTED_FILES))
def test_each_kind_accepted(client: Any, kind: str) -> None:
    name, content_type, make = ACCEPTED_FILES[kind]

    state = upload(client, PROCEDURE, FIELD, name, content_type, make())

    assert state["state"] == "accepted", state
    assert state["content_type"] == ("application/pdf" if kind == "pdf" else f"image/{'png' if kind == 'png' else 'jpeg'}")
    assert state["size"] > 0
    assert f"quarantine/{state['upload_id']}" not in quarantine_keys()
    assert accepted_object(state["upload_id"])["ContentLength"] == state["size"]


def test_grant_fields_and_key(client: Any) -> None:
    response = request_upload(client, PROCEDURE, FIELD, "../../申請書 (1).pdf", "application/pdf", 431)

    grant = response.json()
    fields = grant["upload"]["fields"]
    assert response.status_code == 201
    assert fields["key"] == f"quarantine/{grant['upload_id']}"
    assert "申請書" not in fields["key"]
    assert fields["Content-Type"] == "application/pdf"
    assert unquote(fields["x-amz-meta-original-name"]) == "申請書 (1).pdf"
    assert grant["max_size"] == LIMIT
    assert grant["upload"]["url"].startswith(client.stack.aws_endpoint)


def test_policy_conditions(client: Any) -> None:
    grant = request_upload(client, PROCEDURE, FIELD, "a.pdf", "application/pdf", 431).json()

    policy = json.loads(base64.b64decode(grant["upload"]["fields"]["policy"]))
    assert ["content-length-range", 1, LIMIT] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert {"key": f"quarantine/{grant['upload_id']}"} in policy["conditions"]


def test_path_in_file_name_dropped(client: Any) -> None:
    state = upload(client, PROCEDURE, FIELD, "../../申請書 (1).pdf", "application/pdf", samples.pdf())

    assert state["state"] == "accepted"
    assert state["file_name"] == "申請書 (1).pdf"
    metadata = accepted_object(state["upload_id"])["Metadata"]
    assert unquote(metadata["original-name"]) == "申請書 (1).pdf"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"content_type": "application/pdf", "size": 0}, "attachments.empty_file"),
        ({"content_type": "application/pdf", "size": LIMIT + 1}, "attachments.too_large"),
        ({"content_type": "application/x-msdownload", "size": 100}, "attachments.type_not_allowed"),
        ({"content_type": "text/html", "size": 100}, "attachments.type_not_allowed"),
    ],
)
def test_upload_request_refused(client: Any, body: dict[str, Any], code: str) -> None:
    response = request_upload(client, PROCEDURE, FIELD, "a.pdf", body["content_type"], body["size"])

    expected = translate_all(code, accept="PDF, JPEG, PNG, HEIC", limit="10")
    assert response.status_code == 422, response.text
    assert response.json()["field"] == FIELD
    assert response.json()["message"] == expected


def test_upload_request_wrong_field(client: Any) -> None:
    response = request_upload(client, PROCEDURE, "full_name", "a.pdf", "application/pdf", 100)

    assert response.status_code == 422
    assert response.json()["error"] == "upload_invalid"


@pytest.mark.usefixtures("hunting_open")
def test_photo_field_refuses_pdf(client: Any) -> None:
    response = request_upload(client, "hunting-licence-exam", "photo", "a.pdf", "application/pdf", 100)

    assert response.status_code == 422
    assert "JPEG, PNG, HEIC" in response.json()["message"]["en"]


def test_zero_byte_file_rejected(client: Any) -> None:
    # Declared as 1 byte; moto does not enforce content-length-range, S3 would.
    state = upload(client, PROCEDURE, FIELD, "empty.pdf", "application/pdf", b"", declared_size=1)

    assert state["state"] == "rejected"
    assert state["reason"] == "empty_file"
    assert f"quarantine/{state['upload_id']}" not in quarantine_keys()


def test_oversized_file_rejected(client: Any) -> None:
    data = samples.pdf() + b"%" * (LIMIT + 1)

    state = upload(client, PROCEDURE, FIELD, "big.pdf", "application/pdf", data, declared_size=1000)

    assert state["state"] == "rejected"
    assert state["reason"] == "too_large"
    assert "10 MB" in state["message"]["ja"]
    assert "10 MB" in state["message"]["en"]


@pytest.mark.parametrize("data", [samples.EXECUTABLE, samples.HTML], ids=["executable", "html"])
def test_disguised_pdf_rejected(client: Any, data: bytes) -> None:
    state = upload(client, PROCEDURE, FIELD, "申請書.pdf", "application/pdf", data)

    assert state["state"] == "rejected"
    assert state["reason"] == "type_not_allowed"
    assert "PDF" in state["message"]["ja"]
    with pytest.raises(s3().exceptions.NoSuchKey):
        accepted_object(state["upload_id"])


def test_declared_type_mismatch_rejected(client: Any) -> None:
    state = upload(client, PROCEDURE, FIELD, "photo.pdf", "application/pdf", samples.png())

    assert state["state"] == "rejected"
    assert state["reason"] == "type_mismatch"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (samples.pdf_with_javascript, "pdf_active_content"),
        (samples.pdf_with_embedded_file, "pdf_active_content"),
        (samples.encrypted_pdf, "pdf_encrypted"),
    ],
    ids=["javascript", "embedded-file", "encrypted"],
)
def test_unsafe_pdf_rejected(client: Any, make: Any, reason: str) -> None:
    state = upload(client, PROCEDURE, FIELD, "診断書.pdf", "application/pdf", make())

    assert state["state"] == "rejected"
    assert state["reason"] == reason
    assert state["message"]["en"]


def test_jpeg_gps_removed(client: Any) -> None:
    original = samples.jpeg_with_gps()
    assert samples.gps_of(original)

    state = upload(client, PROCEDURE, FIELD, "写真.jpg", "image/jpeg", original)

    stored = accepted_object(state["upload_id"])["Body"].read()
    assert state["state"] == "accepted"
    assert samples.gps_of(stored) == {}
    assert b"TestCamera" not in stored


def test_heic_converted_to_jpeg(client: Any) -> None:
    state = upload(client, PROCEDURE, FIELD, "IMG_0001.HEIC", "image/heic", samples.heic())

    stored = accepted_object(state["upload_id"])
    assert state["state"] == "accepted"
    assert stored["ContentType"] == "image/jpeg"
    assert samples.image_format(stored["Body"].read()) == "JPEG"


def test_duplicate_event_is_idempotent(client: Any, local_stack: Any) -> None:
    state = upload(client, PROCEDURE, FIELD, "申請書 (1).pdf", "application/pdf", samples.pdf())
    before = accepted_object(state["upload_id"])
    key = f"quarantine/{state['upload_id']}"
    event = json.loads((ROOT / "events/s3_object_created.json").read_text(encoding="utf-8"))
    event["Records"][0]["s3"]["bucket"]["name"] = os.environ["UPLOADS_BUCKET"]
    # S3 sends keys URL-encoded; a server-generated key has nothing to encode, so
    # quote_plus leaves it as is and the handler's unquote_plus must too.
    event["Records"][0]["s3"]["object"]["key"] = quote_plus(key)
    lambda_client = boto3.client("lambda", region_name="ap-northeast-1")
    function_name = local_stack.resources["ValidateUploadFunction"]

    replies = [
        json.loads(lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(event))["Payload"].read())
        for _ in range(2)
    ]

    after = accepted_object(state["upload_id"])
    assert replies[0]["outcomes"][key] == "duplicate"
    assert replies[1]["outcomes"][key] == "duplicate"
    assert after["VersionId"] == before["VersionId"]
    assert wait_until_checked(client, state["upload_id"])["state"] == "accepted"


def test_unknown_upload_404(client: Any) -> None:
    response = client.get("/api/uploads/AAAAAAAAAAAAAAAAAAAAAA")

    assert response.status_code == 404
    assert response.json()["message"]["ja"]


def test_form_csp_allows_uploads_origin(client: Any, local_stack: Any) -> None:
    response = client.get(f"/procedures/{PROCEDURE}")

    assert response.status_code == 200
    assert 'accept=".pdf,application/pdf,.jpg,.jpeg,image/jpeg,' in response.text
    policy = response.headers["Content-Security-Policy"]
    assert f"connect-src 'self' {local_stack.aws_endpoint};" in policy


def test_bucket_cors_allows_site_only(client: Any, local_stack: Any) -> None:
    url = f"{local_stack.aws_endpoint}/{os.environ['UPLOADS_BUCKET']}"

    allowed = requests.options(
        url, headers={"Origin": local_stack.url, "Access-Control-Request-Method": "POST"}, timeout=10
    )
    other = requests.options(
        url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, timeout=10
    )

    rules = s3().get_bucket_cors(Bucket=os.environ["UPLOADS_BUCKET"])["CORSRules"]
    assert rules == [{"AllowedOrigins": [local_stack.url], "AllowedMethods": ["POST"], "MaxAgeSeconds": 600}]
    assert allowed.status_code == 200
    assert allowed.headers.get("Access-Control-Allow-Origin") == local_stack.url
    # moto's server echoes any Origin in its own CORS header, so only the status shows the result.
    assert other.status_code == 403
