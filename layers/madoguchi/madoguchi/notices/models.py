"""Records of issued notices as stored in DynamoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

# ``rejection`` is the 不許可通知 (licence, permit) or 不受理通知 (acceptance) of a
# rejected application; the other kinds come from the definition's ``notice``.
NoticeKind = Literal["acceptance", "licence", "permit", "rejection"]


class NoticeRecord(BaseModel):
    """One issued notice: what the PDF states, where it is stored and its SHA-256."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    verification_code: str
    reference_number: str
    procedure_id: str
    kind: NoticeKind
    decision: Literal["approved", "rejected"]
    title_ja: str
    title_en: str
    procedure_title_ja: str
    procedure_title_en: str
    applicant_name: str
    department_ja: str
    department_en: str
    decided_at: datetime
    issued_at: datetime
    object_key: str
    file_name: str
    size: int
    sha256: str
    signed: bool
