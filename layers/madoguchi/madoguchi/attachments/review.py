"""Workflow task: check again, after submission, that every required file is accepted."""

from __future__ import annotations

from datetime import UTC, datetime

from madoguchi.applications import repository as applications
from madoguchi.applications import storage
from madoguchi.applications.models import HistoryEntry
from madoguchi.applications.status import ApplicationStatus
from madoguchi.attachments import repository
from madoguchi.attachments.models import UploadState
from madoguchi.procedures import get_procedure


class AttachmentsNotAccepted(Exception):
    """A file field of a submitted application lacks an accepted file.

    The workflow catches this class name and sends the application on to staff,
    with the problem recorded in its history.
    """


def verify_attachments(reference_number: str, now: datetime | None = None) -> int:
    """Return how many accepted files the application has.

    Raises:
        AttachmentsNotAccepted: a required file is missing, or a file is not accepted
            or not bound to this application; a history entry names the fields first.
    """
    now = now or datetime.now(UTC)
    record = applications.get_application(reference_number)
    definition = get_procedure(record.procedure_id)
    answers = storage.load_answers(record.answers_key)["answers"]

    problems: list[str] = []
    count = 0
    for field in definition.fields:
        if field.type != "file":
            continue
        visible = field.visible_when is None or field.visible_when.matches(answers)
        upload_ids = answers.get(field.id) or []
        if field.required and visible and not upload_ids:
            problems.append(field.id)
            continue
        for upload_id in upload_ids:
            upload = repository.get_upload(upload_id)
            if upload is None or upload.state is not UploadState.ACCEPTED or upload.attached_to != reference_number:
                problems.append(field.id)
                break
            count += 1
    if not problems:
        return count

    labels = "、".join(definition.field(field_id).label.ja for field_id in problems)
    entry = HistoryEntry(
        at=now,
        event="attachments_flagged",
        status=record.status,
        actor="system",
        comment=f"確認できない添付ファイル: {labels}",
    )
    applications.append_history(reference_number, entry, expected_status=ApplicationStatus(record.status))
    raise AttachmentsNotAccepted(f"{reference_number}: {', '.join(problems)}")
