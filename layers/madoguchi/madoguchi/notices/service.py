"""Hand notices to the applicant and verify them.

Issuing a notice (render, sign, store) is in madoguchi.notices.issuance. Only
IssueNoticeFunction imports that module, because WeasyPrint and pyHanko are installed
in that function's image only.

A notice replaces the official seal (公印) with three checks that anyone can make.
The verification code printed on it leads to the stored details. The SHA-256 of the
PDF bytes must equal the stored hash, so any changed byte fails. Where a key is
configured, a PAdES signature covers the document as well.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from dataclasses import dataclass
from typing import Any, Literal

from madoguchi.notices import codes
from madoguchi.notices import repository as notices
from madoguchi.notices.models import NoticeRecord


class NoticeNotFound(LookupError):
    """The application has no notice yet, or no notice has this verification code."""


@dataclass(frozen=True)
class Verification:
    """Result of a verification: the stored notice and, for an upload, whether it matched."""

    outcome: Literal["valid", "altered", "unknown_code", "invalid_code", "no_code_in_file"]
    notice: NoticeRecord | None = None
    uploaded_sha256: str | None = None


def notice_for_applicant(reference_number: str) -> tuple[NoticeRecord, bytes]:
    """Return the notice of an application and its PDF bytes.

    The caller checks the applicant's access token first.

    Raises:
        NoticeNotFound: no notice has been issued yet.
    """
    notice = notices.get_notice_of_application(reference_number)
    if notice is None:
        raise NoticeNotFound(reference_number)
    return notice, notices.load_pdf(notice.object_key)


def notice_view(reference_number: str) -> dict[str, Any] | None:
    """Return what the status page shows about the notice, or None before it is issued."""
    notice = notices.get_notice_of_application(reference_number)
    if notice is None:
        return None
    return {
        "title": {"ja": notice.title_ja, "en": notice.title_en},
        "file_name": notice.file_name,
        "issued_at": notice.issued_at.isoformat(),
        "size": notice.size,
        "download_url": f"/api/applications/{reference_number}/notice",
    }


def verify_code(text: str) -> Verification:
    """Look a typed verification code up."""
    code = codes.normalize_verification_code(text)
    if code is None:
        return Verification("invalid_code")
    notice = notices.get_notice_by_code(code)
    if notice is None:
        return Verification("unknown_code")
    return Verification("valid", notice)


def verify_upload(pdf: bytes, typed_code: str | None) -> Verification:
    """Compare an uploaded PDF with the stored notice: the SHA-256 of the bytes must match.

    The code is the typed one, or else the first code found in the PDF's text, so
    that an upload without a code still finds its notice.
    """
    uploaded = hashlib.sha256(pdf).hexdigest()
    text_code = typed_code.strip() if typed_code else _code_in_pdf(pdf)
    if not text_code:
        # No code typed and none printed in the file: most likely not a notice at all.
        return Verification("no_code_in_file", uploaded_sha256=uploaded)
    found = verify_code(text_code)
    if found.notice is None:
        return Verification(found.outcome, uploaded_sha256=uploaded)
    outcome = "valid" if hmac.compare_digest(found.notice.sha256, uploaded) else "altered"
    return Verification(outcome, found.notice, uploaded)


def _code_in_pdf(pdf: bytes) -> str | None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        text = "\n".join(page.extract_text() or "" for page in reader.pages[:3])
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        return None
    match = codes.CODE_PATTERN.search(text)
    return match.group(0) if match else None


def verification_view(result: Verification) -> dict[str, Any]:
    """Return the public details of a verification for the page (no hashes of other files)."""
    notice = result.notice
    view: dict[str, Any] = {"outcome": result.outcome, "uploaded_sha256": result.uploaded_sha256}
    if notice is not None:
        view["notice"] = notice
    return view


_SAFE_FILE_NAME = re.compile(r"[\\/:*?\"<>|\x00-\x1f]")


def download_file_name(notice: NoticeRecord) -> str:
    """Return the notice's file name without characters that file systems reject."""
    return _SAFE_FILE_NAME.sub("_", notice.file_name)
