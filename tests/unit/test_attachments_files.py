"""File names, Content-Disposition, file checks and the file fields of the answer schema."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from madoguchi.attachments.files import attachment_disposition, clean_file_name, with_extension
from madoguchi.attachments.inspection import FileRejected, check_file, detect_kind
from madoguchi.attachments.models import RejectionReason
from madoguchi.procedures.errors import AnswersInvalid
from madoguchi.procedures.loader import load_definition
from madoguchi.procedures.schema import build_answers_schema
from madoguchi.procedures.validation import validate_answers

from tests import attachment_samples as samples

HUNTING = ROOT / "procedures/hunting-licence-exam.yaml"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../申請書 (1).pdf", "申請書 (1).pdf"),
        ("C:\\Users\\taro\\写真.HEIC", "写真.HEIC"),
        ("..", "file"),
        ("a\x00b\u202e.pdf", "ab.pdf"),
        ("ｶﾞ.pdf", "ｶﾞ.pdf"),
    ],
)
def test_clean_file_name(name: str, expected: str) -> None:
    assert clean_file_name(name) == expected


def test_clean_file_name_length_keeps_extension() -> None:
    cleaned = clean_file_name("あ" * 500 + ".pdf")

    assert len(cleaned) == 200
    assert cleaned.endswith(".pdf")


def test_with_extension() -> None:
    assert with_extension("写真.HEIC", ".jpg") == "写真.jpg"
    assert with_extension("scan", ".pdf") == "scan.pdf"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("調理師免許 許可証_2026-52F9-J5BY.pdf", "2026-52F9-J5BY.pdf"),
        ("診断書.pdf", "file.pdf"),
        ("scan 1.pdf", "scan 1.pdf"),
    ],
)
def test_disposition_fallback_readable(name: str, expected: str) -> None:
    header = attachment_disposition(name)

    assert header.split('filename="')[1].split('"')[0] == expected


def test_disposition_japanese_name() -> None:
    header = attachment_disposition('申請書 "1".pdf')

    fallback = header.split('filename="')[1].split('"')[0]
    assert header.startswith("attachment; ")
    assert fallback == "1_.pdf"
    assert header.isascii()
    assert unquote(header.split("filename*=UTF-8''")[1]) == '申請書 "1".pdf'


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (samples.pdf(), "pdf"),
        (samples.jpeg_with_gps(), "jpeg"),
        (samples.png(), "png"),
        (samples.heic(), "heic"),
        (samples.EXECUTABLE, None),
        (samples.HTML, None),
        (b"", None),
    ],
)
def test_detect_kind(data: bytes, kind: str | None) -> None:
    assert detect_kind(data[:262]) == kind


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (samples.pdf_with_javascript(), RejectionReason.PDF_ACTIVE_CONTENT),
        (samples.pdf_with_embedded_file(), RejectionReason.PDF_ACTIVE_CONTENT),
        (samples.encrypted_pdf(), RejectionReason.PDF_ENCRYPTED),
        (b"%PDF-1.7\n garbage", RejectionReason.PDF_UNREADABLE),
    ],
)
def test_unsafe_pdf(data: bytes, reason: RejectionReason) -> None:
    with pytest.raises(FileRejected) as raised:
        check_file(data, "pdf")

    assert raised.value.reason is reason


def test_truncated_image_rejected() -> None:
    with pytest.raises(FileRejected) as raised:
        check_file(samples.jpeg_with_gps()[:200], "jpeg")

    assert raised.value.reason is RejectionReason.IMAGE_UNREADABLE


def test_reencoded_jpeg_has_no_gps() -> None:
    checked = check_file(samples.jpeg_with_gps(), "jpeg")

    assert checked.content_type == "image/jpeg"
    assert samples.gps_of(checked.body) == {}


def test_schema_file_fields() -> None:
    schema = build_answers_schema(load_definition(HUNTING))

    photo = schema["properties"]["photo"]
    assert "photo" in schema["required"]
    assert photo["minItems"] == 1
    assert photo["items"]["pattern"] == "^[A-Za-z0-9_-]{22}$"
    # The medical certificate is required only while it is shown.
    assert "medical_certificate" not in schema["required"]
    assert "minItems" not in schema["properties"]["medical_certificate"]


def test_missing_file_message() -> None:
    definition = load_definition(HUNTING)
    answers = {**definition.example_answers[0], "photo": []}
    del answers["medical_certificate"]

    with pytest.raises(AnswersInvalid) as raised:
        validate_answers(definition, answers)

    codes = {error.field: error.code for error in raised.value.errors}
    assert codes["photo"] == "answers.file_required"
    assert codes["medical_certificate"] == "answers.file_required"


def test_hidden_file_field_not_required() -> None:
    definition = load_definition(HUNTING)
    answers = {**definition.example_answers[0], "has_gun_permit": "yes", "gun_permit_copy": ["EXAMPLE_medical_cert_1"]}
    del answers["medical_certificate"]

    normalised = validate_answers(definition, answers)

    assert "medical_certificate" not in normalised
