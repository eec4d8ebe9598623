"""Every template compiles, and none marks user content safe (SECURITY.md, templates)."""

from __future__ import annotations

import re

import jinja2
import pytest

from council.app import configure_templates
from council.settings import PROJECT_ROOT

TEMPLATES = sorted(
    p.relative_to(PROJECT_ROOT / "templates") for p in (PROJECT_ROOT / "templates").rglob("*.html")
)
SOURCES = sorted((PROJECT_ROOT / "council").rglob("*.py"))


@pytest.mark.parametrize("name", [str(t) for t in TEMPLATES])
def test_template_compiles(name: str) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROJECT_ROOT / "templates"), autoescape=True
    )
    configure_templates(env)
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


def test_every_post_form_carries_the_csrf_field() -> None:
    """Litestar's csrf_input is a plain string that autoescape would print as text."""
    for template in TEMPLATES:
        source = (PROJECT_ROOT / "templates" / template).read_text()
        assert "csrf_input" not in source, template
        for form in re.findall(r'<form[^>]*method="post".*?</form>', source, flags=re.S):
            assert 'name="_csrf_token" value="{{ csrf_token() }}"' in form, template
