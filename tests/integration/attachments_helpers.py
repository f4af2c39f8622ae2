"""Upload files the way the form page does: POST /api/uploads, then the presigned POST."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests import attachment_samples as samples

ACCEPTED_FILES = {
    "pdf": ("診断書.pdf", "application/pdf", samples.pdf),
    "jpeg": ("写真.jpg", "image/jpeg", samples.jpeg_with_gps),
    "png": ("写真.png", "image/png", samples.png),
    "heic": ("IMG_0001.HEIC", "image/heic", samples.heic),
}


def request_upload(
    client: Any, procedure_id: str, field_id: str, name: str, content_type: str, size: int
) -> requests.Response:
    return client.post(
        "/api/uploads",
        json={
            "procedure_id": procedure_id,
            "field_id": field_id,
            "file_name": name,
            "content_type": content_type,
            "size": size,
        },
    )


def post_to_bucket(grant: dict[str, Any], name: str, content_type: str, data: bytes) -> requests.Response:
    return requests.post(
        grant["upload"]["url"],
        data=grant["upload"]["fields"],
        files={"file": (name, data, content_type)},
        timeout=30,
    )


def wait_until_checked(client: Any, upload_id: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/api/uploads/{upload_id}").json()
        if state["state"] != "pending":
            return state
        time.sleep(0.05)
    raise AssertionError(f"upload {upload_id} stayed pending")


def upload(
    client: Any,
    procedure_id: str,
    field_id: str,
    name: str,
    content_type: str,
    data: bytes,
    declared_size: int | None = None,
) -> dict[str, Any]:
    """Upload one file and return its checked state (``upload_id``, ``state``, …)."""
    response = request_upload(
        client, procedure_id, field_id, name, content_type,
        len(data) if declared_size is None else declared_size,
    )
    assert response.status_code == 201, response.text
    grant = response.json()
    stored = post_to_bucket(grant, name, content_type, data)
    assert stored.status_code in (200, 201, 204), stored.text
    return wait_until_checked(client, grant["upload_id"])


def accepted_upload_id(client: Any, procedure_id: str, field_id: str, kind: str = "pdf") -> str:
    name, content_type, make = ACCEPTED_FILES[kind]
    state = upload(client, procedure_id, field_id, name, content_type, make())
    assert state["state"] == "accepted", state
    return state["upload_id"]


def cook_licence_files(client: Any) -> dict[str, list[str]]:
    """Accepted uploads for the required file fields of the cook licence."""
    return {
        field_id: [accepted_upload_id(client, "cook-licence", field_id)]
        for field_id in ("qualification_certificate", "family_register", "medical_certificate")
    }
