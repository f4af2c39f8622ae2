"""E-mail one-time codes (identity level ``email``) on the local stack's DynamoDB and SES.

No procedure uses the e-mail level yet, so the service is driven directly and the
HTTP route is checked for refusing procedures of another level.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from madoguchi.identity.service import VerificationFailed, send_email_code, verify_email_code
from madoguchi.identity.settings import get_identity_settings

pytestmark = pytest.mark.integration

CODE = re.compile(r"確認コード：(\d{6})")


def new_address() -> str:
    return f"resident-{uuid.uuid4().hex[:8]}@example.jp"


def mailed_code(client: Any, address: str) -> str:
    message = client.wait_for_mail(lambda m: address in m["to"] and "確認コード" in m["subject"])
    return CODE.search(message["text"]).group(1)


def test_right_code_verifies(client: Any) -> None:
    address = new_address()
    session_id, expires_at = send_email_code("cook-licence", address, "ja")

    verified_id = verify_email_code(session_id, mailed_code(client, address))

    assert verified_id
    assert verified_id != session_id
    assert expires_at > datetime.now(UTC)


def test_code_single_use(client: Any) -> None:
    address = new_address()
    session_id, _ = send_email_code("cook-licence", address, "ja")
    code = mailed_code(client, address)
    verify_email_code(session_id, code)

    with pytest.raises(VerificationFailed) as caught:
        verify_email_code(session_id, code)

    assert caught.value.reason == "code_expired"


def test_attempts_limited(client: Any) -> None:
    address = new_address()
    session_id, _ = send_email_code("cook-licence", address, "ja")
    code = mailed_code(client, address)
    wrong = "000000" if code != "000000" else "111111"
    reasons = []
    for _ in range(get_identity_settings().email_code_max_attempts):
        with pytest.raises(VerificationFailed) as caught:
            verify_email_code(session_id, wrong)
        reasons.append(caught.value.reason)

    with pytest.raises(VerificationFailed) as caught:
        verify_email_code(session_id, code)

    assert set(reasons) == {"code_wrong"}
    assert caught.value.reason == "code_expired"


def test_expired_code_rejected(client: Any) -> None:
    address = new_address()
    session_id, _ = send_email_code("cook-licence", address, "ja")
    code = mailed_code(client, address)
    later = datetime.now(UTC) + timedelta(seconds=get_identity_settings().email_code_ttl_seconds + 1)

    with pytest.raises(VerificationFailed) as caught:
        verify_email_code(session_id, code, now=later)

    assert caught.value.reason == "code_expired"


def test_route_refuses_other_levels(client: Any) -> None:
    response = client.post(
        "/api/identity/email/codes",
        json={"procedure_id": "cook-licence", "email": new_address(), "locale": "ja"},
    )

    assert response.status_code == 422
    assert response.json()["error"] == "identity_level_mismatch"
    assert response.json()["message"]["ja"]
    assert response.json()["message"]["en"]
