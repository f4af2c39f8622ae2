"""The committed OpenAPI document must match the routes of every Chalice function."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from infra.generate_openapi import OUTPUT, render_document


def test_openapi_file_up_to_date() -> None:
    committed = OUTPUT.read_text(encoding="utf-8")

    assert committed == render_document(), "run: python infra/generate_openapi.py"


def test_openapi_marks_each_function() -> None:
    document = json.loads(OUTPUT.read_text(encoding="utf-8"))

    functions = {
        operation.get("x-function", "ApiFunction")
        for operations in document["paths"].values()
        for operation in operations.values()
    }

    assert {"ApiFunction", "ChatFunction", "PaymentsFunction", "StaffFunction"} <= functions
