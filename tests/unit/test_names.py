"""The name rule: what a person's name may hold, checked while a form is parsed."""

from __future__ import annotations

import unicodedata

import pytest

from council.accounts.names import INVISIBLE_NAME, is_invisible
from council.accounts.schemas import SignUpForm
from council.consultations.schemas import EntryForm
from council.demo import data
from council.demo.consultation import ROUNDS
from council.errors import FormInvalid
from council.forms import parse_form

SIGN_UP = {"login": "liumin2", "password": "x" * 10, "password_again": "x" * 10}
ENTRY = {"kind": "statement", "side": "resident", "text": "支持"}

IMPERSONATIONS = [
    "刘\u200b敏",  # zero-width space
    "刘\u200c敏",  # zero-width non-joiner
    "刘\u200d敏",  # zero-width joiner
    "刘\u2060敏",  # word joiner
    "刘敏\u200e",  # left-to-right mark
    "\u202e敏刘",  # right-to-left override
    "\u202b刘敏\u202c",  # right-to-left embedding … pop
    "刘\u2067敏\u2069",  # right-to-left isolate … pop
    "\ufeff刘敏",  # byte-order mark
    "刘\u00ad敏",  # soft hyphen
    "刘\u2028敏",  # line separator
    "刘\u00a0敏",  # no-break space
    "刘\u200a敏",  # hair space
    "刘\u3164敏",  # Hangul filler
    "刘\u2800敏",  # braille blank
    "刘\ufe0f敏",  # variation selector
    "刘\U000e0041敏",  # tag character
    "刘\x1b敏",  # escape
]


@pytest.mark.parametrize("name", IMPERSONATIONS, ids=[repr(n) for n in IMPERSONATIONS])
def test_probe_11_names_refuse_invisible_and_direction_characters(name: str) -> None:
    with pytest.raises(FormInvalid) as refused:
        parse_form(SignUpForm, {**SIGN_UP, "display_name": name})
    assert refused.value.errors == {"display_name": INVISIBLE_NAME}
    with pytest.raises(FormInvalid) as refused_speaker:
        parse_form(EntryForm, {**ENTRY, "speaker": name})
    assert refused_speaker.value.errors == {"speaker": INVISIBLE_NAME}


WRITTEN = ["刘敏", "街道管理员 何静", "欧阳\u3000晓", "Zoë Müller", "阿依古丽·买买提"]


@pytest.mark.parametrize("name", WRITTEN)
def test_names_people_write_are_kept(name: str) -> None:
    assert parse_form(SignUpForm, {**SIGN_UP, "display_name": name}).display_name == name
    assert parse_form(EntryForm, {**ENTRY, "speaker": name}).speaker == name


def test_probe_11_every_format_character_is_invisible() -> None:
    """Category Cf (zero-width and bidi controls among them) is refused whole, not by list."""
    format_chars = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert len(format_chars) > 150
    assert all(is_invisible(c) for c in format_chars)


def test_demo_names_keep_the_rule() -> None:
    people = [data.ADMIN, data.FACILITATOR, *data.SUPERVISORS, *data.RESIDENTS]
    names = [p[1] for p in people] + [s[1] for seats in data.SEATS.values() for s in seats]
    names += [speaker for story in ROUNDS for _k, _s, speaker, _t in story.entries]
    assert names and not [n for n in names if any(is_invisible(c) for c in n)]
