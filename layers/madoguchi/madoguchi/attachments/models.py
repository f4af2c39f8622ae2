"""Upload records and the file kinds that definitions may accept."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# Declared Content-Type → file kind of a definition's ``accept`` list.
KIND_BY_CONTENT_TYPE = {
    "application/pdf": "pdf",
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/heic": "heic",
    "image/heif": "heic",
}
CONTENT_TYPE_BY_KIND = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}

QUARANTINE_PREFIX = "quarantine/"
ACCEPTED_PREFIX = "accepted/"

# secrets.token_urlsafe(16) gives 22 characters of the URL-safe base64 alphabet.
UPLOAD_ID_PATTERN = r"^[A-Za-z0-9_-]{22}$"


class UploadState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RejectionReason(StrEnum):
    """Reason for rejecting a file; each has a message in the ``attachments`` catalog."""

    EMPTY_FILE = "empty_file"
    TOO_LARGE = "too_large"
    TYPE_NOT_ALLOWED = "type_not_allowed"
    TYPE_MISMATCH = "type_mismatch"
    PDF_ENCRYPTED = "pdf_encrypted"
    PDF_ACTIVE_CONTENT = "pdf_active_content"
    PDF_UNREADABLE = "pdf_unreadable"
    IMAGE_UNREADABLE = "image_unreadable"


class UploadRecord(BaseModel):
    """One uploaded file of one file field, as stored in DynamoDB."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    upload_id: str
    procedure_id: str
    field_id: str
    # The resident's file name without any folder part; shown to staff, never used as a key.
    file_name: str
    content_type: str
    # File kinds the field accepted when the upload was created.
    accept: list[str]
    declared_size: int
    max_size: int
    state: UploadState
    reason: RejectionReason | None = None
    quarantine_key: str
    accepted_key: str | None = None
    accepted_content_type: str | None = None
    accepted_size: int | None = None
    download_name: str | None = None
    attached_to: str | None = None
    created_at: datetime
    checked_at: datetime | None = None
