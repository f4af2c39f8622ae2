"""The history on the resident's status view and in the staff audit trail, on the local stack."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_approval_routes import (
    HOKENJO,
    KAKARICHO,
    audit,
    decide,
    submit_cook_licence,
    wait_for_link,
)

pytestmark = pytest.mark.integration

KACHO = "seikatsu-kacho@example.pref.lg.jp"


@pytest.fixture(scope="module")
def completed_licence(client: Any) -> dict[str, Any]:
    """A cook licence that all three levels approved."""
    application = submit_cook_licence(client)
    for approver in (HOKENJO, KAKARICHO, KACHO):
        decide(client, wait_for_link(client, application["reference_number"], approver), "approve")
    client.wait_for_status(application["reference_number"], application["access_token"], "completed", timeout=30)
    return application


def test_step_names_in_each_language(client: Any, completed_licence: dict[str, Any]) -> None:
    status = client.status(completed_licence["reference_number"], completed_licence["access_token"])

    first_step = next(entry for entry in status["history"] if entry["event"] == "step_approved")

    assert "保健所 受付・確認" in first_step["label"]["ja"]
    assert "Public health centre check" in first_step["label"]["en"]
    assert "保健所" not in first_step["label"]["en"]


def test_audit_names_link_recipients(client: Any, completed_licence: dict[str, Any]) -> None:
    trail = audit(client, completed_licence["reference_number"])

    decisions = [item["entry"] for item in trail["entries"] if item["entry"]["event"] in ("step_approved", "approved")]

    assert [entry["approver_emails"] for entry in decisions] == [[HOKENJO], [KAKARICHO], [KACHO]]


def test_status_view_hides_staff_addresses(client: Any, completed_licence: dict[str, Any]) -> None:
    response = client.get(
        f"/api/applications/{completed_licence['reference_number']}",
        headers={"Authorization": f"Bearer {completed_licence['access_token']}"},
    )

    assert HOKENJO not in response.text
    assert "approver_emails" not in response.text
