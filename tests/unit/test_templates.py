"""Every template compiles, and none marks user content safe (SECURITY.md, templates)."""

from __future__ import annotations

import re

import jinja2
import pytest

from council.app import _template_config
from council.settings import PROJECT_ROOT

TEMPLATES = sorted(
    p.relative_to(PROJECT_ROOT / "templates") for p in (PROJECT_ROOT / "templates").rglob("*.html")
)
SOURCES = sorted((PROJECT_ROOT / "council").rglob("*.py"))


@pytest.mark.parametrize("name", [str(t) for t in TEMPLATES])
def test_template_compiles(name: str) -> None:
    # The app's own environment: its filters (localtime) and globals are part of the contract.
    env: jinja2.Environment = _template_config().to_engine().engine
    assert env.autoescape
    env.get_template(name)


def test_no_template_marks_content_safe() -> None:
    offenders = [
        str(t)
        for t in TEMPLATES
        if re.search(r"\|\s*safe\b", (PROJECT_ROOT / "templates" / t).read_text())
    ]
    assert offenders == []


def test_no_code_builds_markup_from_strings() -> None:
    offenders = [str(p) for p in SOURCES if re.search(r"\bMarkup\(", p.read_text())]
    assert offenders == []
