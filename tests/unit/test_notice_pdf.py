"""Notice PDFs rendered with WeasyPrint and read back with pypdf: exact characters,
embedded fonts, the verification code and an optional PAdES signature."""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from madoguchi.notices import codes, render
from madoguchi.notices.models import NoticeRecord
from pypdf import PdfReader

NAME = "𠮷田 髙子 葛\U000e0100城"


def make_notice(kind: str = "acceptance", **changes: object) -> NoticeRecord:
    values = {
        "verification_code": "7K2Q-9XM4-H3PD-A0TW",
        "reference_number": "2027-7K2Q-9XM4",
        "procedure_id": "cook-employment-notification",
        "kind": kind,
        "decision": "rejected" if kind == "rejection" else "approved",
        "title_ja": "調理師業務従事者届 受理通知",
        "title_en": "Notice of acceptance of the cook employment notification",
        "procedure_title_ja": "調理師業務従事者届",
        "procedure_title_en": "Cook employment notification",
        "applicant_name": NAME,
        "department_ja": "保健福祉部 生活衛生課",
        "department_en": "Health and Welfare Department, Environmental Health Division",
        "decided_at": datetime(2027, 1, 8, 3, 0, tzinfo=UTC),
        "issued_at": datetime(2027, 1, 8, 3, 1, tzinfo=UTC),
        "object_key": "notices/x.pdf",
        "file_name": "x.pdf",
        "size": 0,
        "sha256": "",
        "signed": False,
        **changes,
    }
    return NoticeRecord(**values)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    notice = make_notice()
    url = render.verification_url("https://shinsei.example.pref.lg.jp", notice.verification_code)
    return render.render_pdf(notice, datetime(2027, 1, 5, tzinfo=UTC), url)


def page_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_keeps_names_as_typed(pdf: bytes) -> None:
    text = page_text(pdf)
    assert "𠮷田" in text
    assert "髙子" in text
    assert "葛\U000e0100城" in text


def test_pdf_states_reference_code_and_department(pdf: bytes) -> None:
    text = page_text(pdf)
    assert "2027-7K2Q-9XM4" in text
    assert "7K2Q-9XM4-H3PD-A0TW" in text
    assert "保健福祉部 生活衛生課" in text
    assert "受理" in text
    assert "2027年1月8日" in text


def test_pdf_embeds_every_font(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            fonts.append(descendant["/FontDescriptor"].get_object())
    assert fonts
    for descriptor in fonts:
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), descriptor


def test_notice_embeds_qr_code_of_verification_url() -> None:
    import base64

    notice = make_notice()
    url = render.verification_url("https://shinsei.example.pref.lg.jp", notice.verification_code)
    html = render.render_html(notice, datetime(2027, 1, 5, tzinfo=UTC), url)
    data_uri = render.qr_code_data_uri(url)
    svg = base64.b64decode(data_uri.split(",", 1)[1])

    assert url == "https://shinsei.example.pref.lg.jp/notices/verify?code=7K2Q-9XM4-H3PD-A0TW"
    assert data_uri in html
    assert b"<svg" in svg
    assert b"<path" in svg
    assert render.qr_code_data_uri(url + "X") != data_uri


def test_rejection_states_reason() -> None:
    notice = make_notice("rejection", title_ja="調理師業務従事者届 不受理通知")
    url = render.verification_url("https://example.jp", notice.verification_code)
    text = page_text(render.render_pdf(notice, datetime(2027, 1, 5, tzinfo=UTC), url, "記載に不備があります"))
    assert "不受理通知" in text
    assert "記載に不備があります" in text


def test_verification_code_format() -> None:
    code = codes.new_verification_code()
    assert codes.CODE_PATTERN.fullmatch(code)
    assert codes.new_verification_code() != code


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7k2q-9xm4-h3pd-a0tw", "7K2Q-9XM4-H3PD-A0TW"),
        ("７Ｋ２Ｑ９ＸＭ４Ｈ３ＰＤＡＯＴＷ", "7K2Q-9XM4-H3PD-A0TW"),
        ("7K2Q 9XM4 H3PD A0TW", "7K2Q-9XM4-H3PD-A0TW"),
        ("7K2Q-9XM4", None),
        ("", None),
    ],
)
def test_verification_code_normalization(typed: str, expected: str | None) -> None:
    assert codes.normalize_verification_code(typed) == expected


def test_unsigned_pdf_has_no_signature(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    assert "/AcroForm" not in reader.trailer["/Root"]


def test_signed_pdf_validates(pdf: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    from madoguchi.notices import signing
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from infra.local.notice_signing import generate_test_certificate

    key_pem, certificate_pem = generate_test_certificate()
    monkeypatch.setattr(
        signing,
        "load_signing_material",
        lambda arn: signing.SigningMaterial(key_pem.encode(), certificate_pem.encode(), b""),
    )
    signing._signer.cache_clear()
    signed = signing.sign_pdf(pdf, "arn:test", reason="受理通知", location="宇都宮市")
    signing._signer.cache_clear()

    assert signed.startswith(pdf)  # incremental update: the rendered bytes stay unchanged
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pem") as cert_file:
        cert_file.write(certificate_pem.encode())
        cert_file.flush()
        root = load_cert_from_pemder(cert_file.name)
    reader = PdfFileReader(io.BytesIO(signed))
    # pyhanko runs asyncio.run() inside; the browser suite's Playwright may keep an
    # event loop running in this thread, so the validation runs in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as executor:
        status = executor.submit(
            validate_pdf_signature, reader.embedded_signatures[0], ValidationContext(trust_roots=[root])
        ).result()
    assert status.intact
    assert status.valid
    assert status.trusted
    assert hashlib.sha256(signed).hexdigest() != hashlib.sha256(pdf).hexdigest()
