"""Differences between two versions of an application's answers, for the approval page."""

from __future__ import annotations

from typing import Any

from madoguchi.applications import storage
from madoguchi.applications.models import ApplicationRecord
from madoguchi.procedures import ProcedureDefinition
from madoguchi.procedures.display import display_answer


def previous_answers(record: ApplicationRecord) -> dict[str, Any]:
    """Return the answers of the version before the current one (empty for version 1)."""
    if record.answers_version <= 1:
        return {}
    key = storage.answers_key(record.procedure_id, record.reference_number, record.answers_version - 1)
    return storage.load_answers(key)["answers"]


def answer_changes(
    definition: ProcedureDefinition, before: dict[str, Any], after: dict[str, Any]
) -> list[dict[str, Any]]:
    """Return ``{field_id, label, before, after}`` for each field whose answer changed.

    Values are shown as the form shows them (option labels in Japanese); a file field
    shows the files' names, because upload ids mean nothing to staff.
    """
    changes = []
    for field in definition.fields:
        old, new = before.get(field.id), after.get(field.id)
        if old == new:
            continue
        changes.append(
            {
                "field_id": field.id,
                "label": field.label.ja,
                "before": _display(field, old),
                "after": _display(field, new),
            }
        )
    return changes


def _display(field: Any, value: Any) -> str:
    if value is None or value == [] or value == "":
        return "（未入力）"
    if field.type == "file":
        from madoguchi.attachments import repository as uploads

        records = [uploads.get_upload(upload_id) for upload_id in value]
        return "、".join(record.file_name if record else "（不明なファイル）" for record in records)
    return display_answer(field, value)
