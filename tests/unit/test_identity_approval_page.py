"""Tests of the identity section that staff see on the approval page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from madoguchi.applications.models import ApplicationRecord, ApprovalTask
from madoguchi.procedures.loader import load_definition
from madoguchi.web.pages import _render_approval

PROCEDURES = Path(__file__).resolve().parents[2] / "procedures"
NOW = datetime(2027, 7, 6, 1, 0, tzinfo=UTC)


def view_with(identity: dict) -> dict:
    definition = load_definition(PROCEDURES / "cook-licence.yaml")
    record = ApplicationRecord(
        reference_number="2027-AAAA-BBBB", procedure_id="cook-licence", procedure_version=1,
        status="under_review", locale="ja", answers_key="answers/x.json", identity=identity,
        created_at=NOW, updated_at=NOW,
    )
    task = ApprovalTask(
        task_id="t", reference_number=record.reference_number, step_index=0, step_id="health-centre",
        approver_role="health-centre-staff", approver_emails=["a@example.jp"], task_token="x",
        csrf_token="c", created_at=NOW, expires_at=NOW,
    )
    return {"state": "pending", "task": task, "record": record, "definition": definition,
            "step": definition.approval_route.steps[0], "answers": {}}


def test_mismatch_shows_both_names() -> None:
    identity = {
        "level": "my_number_card", "state": "verified", "acr": "aal3", "verified_at": NOW.isoformat(),
        "verified_name": "髙橋 﨑子",
        "match": {"outcome": "mismatched", "checked": ["name"],
                  "differences": [{"attribute": "name", "typed": "高橋 咲子", "verified": "髙橋 﨑子"}]},
    }

    page = _render_approval(view_with(identity), "t")

    assert "不一致あり（職員の確認が必要）" in page
    assert "<td>高橋 咲子</td><td>髙橋 﨑子</td>" in page
    assert "aal3" in page


def test_match_shows_no_differences() -> None:
    identity = {"level": "my_number_card", "state": "verified", "verified_at": NOW.isoformat(),
                "match": {"outcome": "matched", "checked": ["name"], "differences": []}}

    page = _render_approval(view_with(identity), "t")

    assert "<dd class=\"identity-match identity-match-matched\">一致</dd>" in page
    assert "identity-differences" not in page


def test_eligibility_review_page_labels() -> None:
    from madoguchi.approvals.eligibility import review_step

    identity = {
        "level": "my_number_card", "state": "verified", "verified_at": NOW.isoformat(),
        "match": {"outcome": "mismatched", "checked": ["name", "residency"],
                  "differences": [{"attribute": "residency", "typed": "栃木県",
                                   "verified": "東京都千代田区永田町一丁目7番1号"}]},
    }
    view = view_with(identity)
    view["stage"] = "eligibility"
    view["step"] = review_step(view["definition"])

    page = _render_approval(view, "t")

    assert "<h1>手数料の支払い前の受付確認：調理師免許の新規申請</h1>" in page
    assert "<th scope=\"row\">県内在住</th><td>栃木県</td><td>東京都千代田区永田町一丁目7番1号</td>" in page
    assert "受け付ける（手数料の支払いに進む）" in page
    assert "受け付けない（手数料は請求しません）" in page
    assert "承認する" not in page
    assert "（1 / 3）" not in page


def test_eligibility_step_uses_first_step() -> None:
    from madoguchi.approvals.eligibility import review_step

    definition = load_definition(PROCEDURES / "cook-licence.yaml")
    first = definition.approval_route.steps[0]

    step = review_step(definition)

    assert step.id == "eligibility"
    assert step.roles == first.roles
    assert step.deadline_days == first.deadline_days
    assert step.title.en == "Eligibility check before payment"
