"""Hash chain of the audit export and the ``python -m madoguchi.audit verify`` command."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from madoguchi.applications.models import ApplicationRecord, HistoryEntry
from madoguchi.applications.status import ApplicationStatus
from madoguchi.audit import GENESIS_HASH, audit_export, entry_hash, verify_chain

START = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def record_with_history() -> ApplicationRecord:
    events = [
        ("submitted", ApplicationStatus.SUBMITTED, "applicant", None, None),
        ("review_started", ApplicationStatus.UNDER_REVIEW, "workflow", None, None),
        ("returned", ApplicationStatus.RETURNED, "approver:environmental-health-staff", "番地を追記してください。", 1),
        ("resubmitted", ApplicationStatus.SUBMITTED, "applicant", None, 2),
        ("review_started", ApplicationStatus.UNDER_REVIEW, "workflow", None, None),
        ("approved", ApplicationStatus.APPROVED, "approver:environmental-health-staff", None, 2),
    ]
    history = [
        HistoryEntry(
            at=START + timedelta(minutes=index), event=event, status=status, actor=actor,
            comment=comment, answers_version=version,
        )
        for index, (event, status, actor, comment, version) in enumerate(events)
    ]
    return ApplicationRecord(
        reference_number="2026-7K2Q-9XM4", procedure_id="cook-employment-notification",
        procedure_version=1, status=ApplicationStatus.APPROVED, locale="ja",
        answers_key="answers/cook-employment-notification/2026-7K2Q-9XM4/v2.json", answers_version=2,
        created_at=START, updated_at=START, history=history,
    )


def test_export_chain_valid() -> None:
    document = audit_export(record_with_history())

    result = verify_chain(document)

    assert result.valid
    assert result.entries == 6
    assert document["entries"][0]["previous_hash"] == GENESIS_HASH
    assert document["head"] == document["entries"][-1]["hash"]


def test_export_fills_answers_version() -> None:
    document = audit_export(record_with_history())

    versions = [item["entry"]["answers_version"] for item in document["entries"]]

    assert versions == [1, 1, 1, 2, 2, 2]


def test_export_keeps_actor_and_comment() -> None:
    entry = audit_export(record_with_history())["entries"][2]["entry"]

    assert entry["actor"] == "approver:environmental-health-staff"
    assert entry["comment"] == "番地を追記してください。"


def test_hash_covers_previous_hash() -> None:
    entry = {"event": "submitted"}

    assert entry_hash(0, entry, GENESIS_HASH) != entry_hash(0, entry, "1" * 64)


@pytest.mark.parametrize(
    ("index", "field", "value"),
    [
        (2, "comment", "問題ありません。"),
        (5, "actor", "approver:someone-else"),
        (0, "at", "2026-03-31T00:00:00Z"),
        (3, "answers_version", 3),
    ],
)
def test_edited_entry_named(index: int, field: str, value: object) -> None:
    document = audit_export(record_with_history())
    document["entries"][index]["entry"][field] = value

    result = verify_chain(document)

    assert not result.valid
    assert result.broken_index == index
    assert "hash" in result.reason


def test_removed_entry_detected() -> None:
    document = audit_export(record_with_history())
    del document["entries"][3]

    result = verify_chain(document)

    assert not result.valid
    assert result.broken_index == 3


def test_rehashed_edit_fails_previous_check() -> None:
    earlier = audit_export(record_with_history())
    tampered = record_with_history()
    tampered.history[2] = tampered.history[2].model_copy(update={"comment": "問題ありません。"})
    later = audit_export(tampered)

    alone = verify_chain(later)
    against_earlier = verify_chain(later, previous=earlier)

    assert alone.valid
    assert not against_earlier.valid
    assert against_earlier.broken_index == 2


def test_longer_chain_extends_earlier() -> None:
    record = record_with_history()
    earlier = audit_export(record.model_copy(update={"history": record.history[:4]}))
    later = audit_export(record)

    assert verify_chain(later, previous=earlier).valid


def run_verify(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "madoguchi.audit", "verify", *arguments],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_command_good_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit_export(record_with_history()), ensure_ascii=False), encoding="utf-8")

    result = run_verify(str(path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid: 6 entries")


def test_command_broken_chain(tmp_path: Path) -> None:
    document = audit_export(record_with_history())
    broken = copy.deepcopy(document)
    broken["entries"][4]["entry"]["event"] = "approved"
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")

    result = run_verify(str(path))

    assert result.returncode == 1
    assert result.stdout.startswith("broken: entry 4:")


def test_command_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.json"
    path.write_text("{not json", encoding="utf-8")

    result = run_verify(str(path))

    assert result.returncode == 2
    assert "cannot read" in result.stderr


@pytest.mark.parametrize("content", ["[]", '"text"', "42"])
def test_command_not_an_export(tmp_path: Path, content: str) -> None:
    path = tmp_path / "audit.json"
    path.write_text(content, encoding="utf-8")

    result = run_verify(str(path))

    assert result.returncode == 1
    assert result.stdout.startswith("broken: the file is not an audit export")
    assert "Traceback" not in result.stderr


def test_command_wrong_head_not_entry(tmp_path: Path) -> None:
    document = audit_export(record_with_history())
    document["head"] = "0" * 64
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    result = run_verify(str(path))

    assert result.returncode == 1
    assert result.stdout.startswith("broken: 'head' does not match")
