"""Notices over HTTP on the local stack: issued on approval and rejection, downloaded by
the applicant, e-mailed as an attachment, and checked on the public verification page."""

from __future__ import annotations

import hashlib
import io
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from pypdf import PdfReader, PdfWriter

from tests.integration.test_application_journey import approval_form, decide, submitted

pytestmark = pytest.mark.integration

NAME = "𠮷田 髙子"


def decided_application(client: Any, decision: str, comment: str = "") -> dict[str, Any]:
    """Submit a cook employment notification and decide its single approval step."""
    application = submitted(client, full_name=NAME)
    link = client.approval_link(application["reference_number"])
    response = decide(link, decision, approval_form(client, link), comment)
    assert response.status_code == 200, response.text
    return application


def wait_for_notice(client: Any, application: dict[str, Any], status: str) -> dict[str, Any]:
    """Wait for ``status`` and then for the notice, which a rejection issues after the status."""
    import time

    view = client.wait_for_status(application["reference_number"], application["access_token"], status)
    deadline = time.monotonic() + 15
    while view["notice"] is None and time.monotonic() < deadline:
        time.sleep(0.1)
        view = client.status(application["reference_number"], application["access_token"])
    assert view["notice"] is not None, view
    return view


def download(client: Any, application: dict[str, Any]) -> requests.Response:
    return client.get(
        f"/api/applications/{application['reference_number']}/notice",
        headers={"Authorization": f"Bearer {application['access_token']}"},
    )


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def verification_code(pdf: bytes) -> str:
    return re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", pdf_text(pdf)).group(0)


def upload_for_verification(client: Any, pdf: bytes, code: str = "") -> requests.Response:
    return client.post(
        "/notices/verify?lang=en",
        data={"code": code},
        files={"file": ("通知書.pdf", pdf, "application/pdf")},
    )


@pytest.fixture(scope="module")
def approved(client: Any) -> dict[str, Any]:
    application = decided_application(client, "approve")
    view = wait_for_notice(client, application, "completed")
    response = download(client, application)
    assert response.status_code == 200, response.text
    return {**application, "view": view, "pdf": response.content, "response": response}


def test_notice_download_is_pdf_attachment(approved: dict[str, Any]) -> None:
    response = approved["response"]
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition
    assert "%E5%8F%97%E7%90%86%E9%80%9A%E7%9F%A5" in disposition  # 受理通知
    assert approved["pdf"].startswith(b"%PDF-")
    assert approved["view"]["notice"]["title"]["ja"] == "調理師業務従事者届 受理通知"


def test_notice_pdf_keeps_name_reference_and_code(approved: dict[str, Any]) -> None:
    text = pdf_text(approved["pdf"])
    assert "𠮷田 髙子" in text
    assert approved["reference_number"] in text
    assert re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text)
    assert "保健福祉部 生活衛生課" in text


def test_notice_fonts_are_embedded(approved: dict[str, Any]) -> None:
    reader = PdfReader(io.BytesIO(approved["pdf"]))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor_owner = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descriptor_owner["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_notice_needs_access_token(client: Any, approved: dict[str, Any]) -> None:
    wrong = client.get(
        f"/api/applications/{approved['reference_number']}/notice",
        headers={"Authorization": "Bearer wrong"},
    )
    missing = client.get(f"/api/applications/{approved['reference_number']}/notice")
    assert wrong.status_code == 404
    assert missing.status_code == 404


def test_notice_not_ready_before_decision(client: Any) -> None:
    application = submitted(client)
    client.approval_link(application["reference_number"])
    response = download(client, application)
    status = client.status(application["reference_number"], application["access_token"])
    assert response.status_code == 404
    assert response.json()["error"] == "notice_not_found"
    assert status["notice"] is None


def test_verification_page_by_code(client: Any, approved: dict[str, Any]) -> None:
    code = verification_code(approved["pdf"])
    page = client.get(f"/notices/verify?code={code.lower()}")
    assert page.status_code == 200
    assert 'data-outcome="valid_code"' in page.text
    assert approved["reference_number"] in page.text
    assert NAME in page.text
    assert hashlib.sha256(approved["pdf"]).hexdigest() in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_verification_page_unknown_code(client: Any) -> None:
    page = client.get("/notices/verify?code=0000-0000-0000-0000&lang=en")
    assert page.status_code == 404
    assert 'data-outcome="unknown_code"' in page.text


def test_uploaded_notice_verifies(client: Any, approved: dict[str, Any]) -> None:
    code = verification_code(approved["pdf"])
    with_code = upload_for_verification(client, approved["pdf"], code)
    without_code = upload_for_verification(client, approved["pdf"])
    assert with_code.status_code == 200, with_code.text
    assert 'data-outcome="valid_file"' in with_code.text
    assert without_code.status_code == 200, without_code.text
    assert 'data-outcome="valid_file"' in without_code.text


def test_one_changed_byte_fails_verification(client: Any, approved: dict[str, Any]) -> None:
    code = verification_code(approved["pdf"])
    tampered = bytearray(approved["pdf"])
    position = len(tampered) // 2
    tampered[position] = (tampered[position] + 1) % 256
    response = upload_for_verification(client, bytes(tampered), code)
    assert response.status_code == 422
    assert 'data-outcome="altered"' in response.text


def test_edited_text_fails_verification(client: Any, approved: dict[str, Any]) -> None:
    code = verification_code(approved["pdf"])
    reader = PdfReader(io.BytesIO(approved["pdf"]))
    writer = PdfWriter(clone_from=reader)
    writer.add_metadata({"/Title": "書き換えた通知書"})
    buffer = io.BytesIO()
    writer.write(buffer)
    edited = buffer.getvalue()
    assert verification_code(edited) == code
    response = upload_for_verification(client, edited)
    assert response.status_code == 422
    assert 'data-outcome="altered"' in response.text


def test_raw_pdf_upload_verifies(client: Any, approved: dict[str, Any]) -> None:
    code = verification_code(approved["pdf"])
    response = client.post(
        f"/notices/verify?code={code}", data=approved["pdf"], headers={"Content-Type": "application/pdf"}
    )
    assert response.status_code == 200, response.text
    assert 'data-outcome="valid_file"' in response.text


def test_notice_is_pades_signed(client: Any, approved: dict[str, Any]) -> None:
    import tempfile

    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    with tempfile.NamedTemporaryFile(suffix=".pem") as cert_file:
        cert_file.write(client.stack.notice_signing_certificate_pem.encode())
        cert_file.flush()
        root = load_cert_from_pemder(cert_file.name)
    signatures = PdfFileReader(io.BytesIO(approved["pdf"])).embedded_signatures
    assert len(signatures) == 1
    # pyhanko runs asyncio.run() inside; the browser suite's Playwright keeps an event
    # loop running in this thread, so the validation runs in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as executor:
        status = executor.submit(
            validate_pdf_signature, signatures[0], ValidationContext(trust_roots=[root])
        ).result()
    assert status.intact
    assert status.valid
    assert status.trusted
    assert signatures[0].sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_decision_mail_attaches_notice(client: Any, approved: dict[str, Any]) -> None:
    mail = client.wait_for_mail(
        lambda m: approved["reference_number"] in m["subject"] and m["attachments"]
    )
    attachment = mail["attachments"][0]
    assert mail["to"] == [approved["email"]]
    assert attachment["content_type"] == "application/pdf"
    assert attachment["file_name"] == f"調理師業務従事者届 受理通知_{approved['reference_number']}.pdf"
    assert attachment["sha256"] == hashlib.sha256(approved["pdf"]).hexdigest()
    assert "受理通知" in mail["text"]
    downloaded = client.get(attachment["path"])
    assert downloaded.content == approved["pdf"]


def test_rejection_issues_non_acceptance_notice(client: Any) -> None:
    application = decided_application(client, "reject", "届出の期間外です")
    view = wait_for_notice(client, application, "rejected")
    pdf = download(client, application).content
    text = pdf_text(pdf)
    assert view["notice"]["title"]["ja"] == "調理師業務従事者届 不受理通知"
    assert "不受理通知" in text
    assert "届出の期間外です" in text
    assert "𠮷田 髙子" in text
    mail = client.wait_for_mail(
        lambda m: application["reference_number"] in m["subject"] and m["attachments"]
    )
    assert mail["attachments"][0]["sha256"] == hashlib.sha256(pdf).hexdigest()


@pytest.mark.parametrize("upload", [b"%PDF-1.4\n%%EOF\n", "請求書です".encode()])
def test_file_without_code_not_notice(client: Any, upload: bytes) -> None:
    response = upload_for_verification(client, upload)

    assert response.status_code == 422
    assert 'data-outcome="no_code_in_file"' in response.text
    assert "may not be a notice" in response.text
