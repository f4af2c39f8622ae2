"""Staff exports over HTTP: an asynchronous job that writes a UTF-8 CSV with BOM and a
zip of the accepted attachments."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests import attachment_samples as samples
from tests.integration.attachments_helpers import accepted_upload_id, upload
from tests.integration.test_application_journey import example_answers, submit
from tests.integration.test_staff_queue import sign_in

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Tokyo")).date()
FORMULA = "=HYPERLINK(\"http://example.invalid\",\"x\")"


def staff_headers(client: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.stack.staff_api_token}"}


def request_export(client: Any, procedure_id: str, **extra: Any) -> requests.Response:
    body = {
        "procedure_id": procedure_id,
        "from": (TODAY - timedelta(days=1)).isoformat(),
        "to": TODAY.isoformat(),
        **extra,
    }
    return client.post("/api/staff/exports", json=body, headers=staff_headers(client))


def wait_until_ready(client: Any, export_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = client.get(f"/api/staff/exports/{export_id}", headers=staff_headers(client)).json()
        if status["state"] != "pending":
            assert status["state"] == "ready", status
            return status
        time.sleep(0.1)
    raise AssertionError(f"export {export_id} stayed pending")


@pytest.fixture(scope="module")
def licence_export(client: Any) -> dict[str, Any]:
    """One cook licence with 𠮷 and 髙 in the name, a formula-looking answer and a
    Japanese-named PDF, then its export."""
    files = {
        "qualification_certificate": [
            upload(client, "cook-licence", "qualification_certificate", "合格証書.pdf",
                   "application/pdf", samples.pdf())["upload_id"]
        ],
        "family_register": [accepted_upload_id(client, "cook-licence", "family_register")],
        "medical_certificate": [accepted_upload_id(client, "cook-licence", "medical_certificate", "png")],
    }
    answers = example_answers(client, "cook-licence", full_name="𠮷田 髙子", **files)
    answers["exam_prefecture"] = FORMULA[:10]
    response = submit(client, "cook-licence", answers)
    assert response.status_code == 201, response.text
    created = request_export(client, "cook-licence")
    assert created.status_code == 202, created.text
    status = wait_until_ready(client, created.json()["export_id"])
    return {"reference_number": response.json()["reference_number"], "status": status, "created": created}


def test_export_returns_202_with_id(licence_export: dict[str, Any]) -> None:
    created = licence_export["created"]
    assert created.json()["state"] == "pending"
    assert created.headers["Location"] == f"/api/staff/exports/{created.json()['export_id']}"


def test_export_csv_is_utf8_with_bom(licence_export: dict[str, Any]) -> None:
    response = requests.get(licence_export["status"]["files"]["csv"], timeout=30)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "attachment;" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    row = next(r for r in rows[1:] if r[0] == licence_export["reference_number"])
    assert header[0] == "受付番号"
    assert row[header.index("氏名（戸籍どおり）")] == "𠮷田 髙子"
    assert row[header.index("状態")]


def test_export_csv_escapes_formulas(licence_export: dict[str, Any]) -> None:
    content = requests.get(licence_export["status"]["files"]["csv"], timeout=30).content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    row = next(r for r in rows[1:] if r[0] == licence_export["reference_number"])
    assert "'" + FORMULA[:10] in row
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_export_zip_has_japanese_names(licence_export: dict[str, Any]) -> None:
    response = requests.get(licence_export["status"]["files"]["attachments"], timeout=30)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = [name for name in archive.namelist() if name.startswith(licence_export["reference_number"])]
    assert len(names) == 3
    assert any(name.endswith("/合格証書.pdf") for name in names)
    assert any("/医師の診断書/" in name for name in names)
    certificate = next(name for name in names if name.endswith("/合格証書.pdf"))
    assert archive.read(certificate).startswith(b"%PDF-")
    assert archive.getinfo(certificate).flag_bits & 0x800  # UTF-8 file name flag
    assert licence_export["status"]["attachment_count"] >= 3


def test_export_needs_staff(client: Any) -> None:
    body = {"procedure_id": "cook-licence", "from": TODAY.isoformat(), "to": TODAY.isoformat()}
    anonymous = client.post("/api/staff/exports", json=body)
    wrong = client.post("/api/staff/exports", json=body, headers={"Authorization": "Bearer wrong"})
    assert anonymous.status_code == 401
    assert wrong.status_code == 401


def test_export_rejects_bad_period(client: Any) -> None:
    reversed_period = request_export(client, "cook-licence", **{"from": "2027-01-10", "to": "2027-01-01"})
    not_a_date = request_export(client, "cook-licence", **{"from": "yesterday"})
    assert reversed_period.status_code == 422
    assert not_a_date.status_code == 422


def test_export_with_staff_session(client: Any) -> None:
    browser = sign_in(client, "staff-seikatsu")
    body = {"procedure_id": "cook-employment-notification", "from": TODAY.isoformat(), "to": TODAY.isoformat()}
    allowed = browser.post(client.url + "/api/staff/exports", json=body, timeout=30)
    forbidden = browser.post(
        client.url + "/api/staff/exports", json={**body, "procedure_id": "hunting-licence-exam"}, timeout=30
    )
    assert allowed.status_code == 202, allowed.text
    assert forbidden.status_code == 403
    status = browser.get(client.url + allowed.json()["status_url"], timeout=30).json()
    assert status["state"] == "ready"
