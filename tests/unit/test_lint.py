"""The code passes the project's ruff rules, so `make test` catches what `make lint` would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_reports_nothing() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--output-format", "concise",
         "functions", "layers", "infra", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
