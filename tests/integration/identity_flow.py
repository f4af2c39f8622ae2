"""Drive the My Number card check over HTTP: the identity function, then the local
OpenID Connect provider's authorization page, then the callback."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)">')


def start_at_provider(client: Any, start_path: str) -> tuple[str, dict[str, str]]:
    """GET the start route and the provider's page; return (form action, hidden fields)."""
    import html

    start = client.get(start_path, allow_redirects=False)
    assert start.status_code == 302, start.text
    page = client.http.get(start.headers["Location"], timeout=30)
    assert page.status_code == 200, page.text
    fields = {name: html.unescape(value) for name, value in HIDDEN_INPUT.findall(page.text)}
    return FORM_ACTION.search(page.text).group(1), fields


def pick_person(client: Any, action: str, fields: dict[str, str], person: str) -> str:
    """Choose a test person at the provider and return the callback URL it redirects to."""
    decision = client.http.post(action, data={**fields, "person": person}, allow_redirects=False, timeout=30)
    assert decision.status_code == 302, decision.text
    return decision.headers["Location"]


def verify_identity(client: Any, procedure_id: str, person: str) -> str:
    """Verify as ``person`` for a form and return the verified identity session id."""
    action, fields = start_at_provider(client, f"/identity/start?procedure_id={procedure_id}")
    callback = pick_person(client, action, fields, person)
    response = client.http.get(callback, allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert urlsplit(location).path == f"/procedures/{procedure_id}"
    return location.split("#identity=", 1)[1]


def _tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


def upload_png(client: Any, procedure_id: str, field_id: str) -> str:
    """Upload a 1×1 PNG through the presigned POST and return its id once accepted."""
    import time

    import requests

    content = _tiny_png()
    created = client.post(
        "/api/uploads",
        json={"procedure_id": procedure_id, "field_id": field_id, "file_name": "scan.png",
              "content_type": "image/png", "size": len(content)},
    )
    assert created.status_code == 201, created.text
    upload = created.json()
    posted = requests.post(
        upload["upload"]["url"], data=upload["upload"]["fields"],
        files={"file": ("scan.png", content, "image/png")}, timeout=30,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        state = client.get(f"/api/uploads/{upload['upload_id']}").json()["state"]
        if state != "pending":
            assert state == "accepted", state
            return upload["upload_id"]
        time.sleep(0.05)
    raise AssertionError("the upload stayed pending")


COOK_LICENCE_FILE_FIELDS = ("qualification_certificate", "family_register", "medical_certificate")


def cook_licence_uploads(client: Any) -> dict[str, list[str]]:
    """Return answers for the required file fields of the cook licence."""
    return {field_id: [upload_png(client, "cook-licence", field_id)] for field_id in COOK_LICENCE_FILE_FIELDS}
