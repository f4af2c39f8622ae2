"""The form pages' markup: every attribute separated from the one before it."""

from __future__ import annotations

import re

import pytest
from madoguchi.procedures import load_catalog
from madoguchi.web import pages

GLUED_ATTRIBUTE = re.compile(r'"[a-z-]+="')


@pytest.mark.parametrize("procedure_id", sorted(load_catalog()))
@pytest.mark.parametrize("locale", ["ja", "en"])
def test_no_glued_attributes(procedure_id: str, locale: str) -> None:
    html = pages.render_form(load_catalog()[procedure_id], locale)

    assert GLUED_ATTRIBUTE.findall(html) == []
