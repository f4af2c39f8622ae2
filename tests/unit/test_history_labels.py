"""Labels of history entries on the resident's status page."""

from __future__ import annotations

from datetime import UTC, datetime

from madoguchi.applications.models import HistoryEntry
from madoguchi.applications.status import ApplicationStatus, history_label

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def entry(event: str, status: ApplicationStatus, **fields: object) -> HistoryEntry:
    return HistoryEntry(at=NOW, event=event, status=status, actor="stripe", **fields)


def test_first_payment_plain_label() -> None:
    label = history_label(entry("payment_received", ApplicationStatus.AWAITING_PAYMENT, amount=5200, answers_version=1))

    assert label["ja"] == "手数料のお支払いを確認しました"


def test_difference_payment_named() -> None:
    label = history_label(entry("payment_received", ApplicationStatus.AWAITING_PAYMENT, amount=5200, answers_version=2))

    assert label["ja"] == "修正による差額5,200円のお支払いを確認しました"
    assert "¥5,200 difference" in label["en"]


def test_final_approval_names_step() -> None:
    label = history_label(entry("approved", ApplicationStatus.APPROVED, step_title="生活衛生課 決裁（課長）"))

    assert label["ja"] == "「生活衛生課 決裁（課長）」で承認され、決裁が完了しました"


def test_approval_without_step_plain() -> None:
    assert history_label(entry("approved", ApplicationStatus.APPROVED))["ja"] == "承認されました"
