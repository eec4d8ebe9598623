"""People's names: which characters a name may hold, and how public pages show private
people (by surname only, 张**)."""

from __future__ import annotations

import sys
import unicodedata

import msgspec

from council.i18n import N_

INVISIBLE_NAME = N_("姓名中不能包含不可见字符或方向控制字符")

# Controls, format characters (zero-width joiners and spaces, bidi marks, embeddings,
# overrides and isolates, the byte-order mark, tag characters), surrogates, line and
# paragraph separators: none draws a glyph, and bidi controls reorder the text around them.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# The plain and the ideographic (full-width) space are the spaces people type in a name;
# every other space is narrower or identical, so it only makes one name pass for another.
_SPACES = frozenset(" \u3000")
# Characters of other categories that render as nothing: the combining grapheme joiner,
# the Hangul fillers, the braille blank and variation selectors 1-16.
_BLANKS = frozenset("\u034f\u115f\u1160\u3164\uffa0\u2800") | {
    chr(c) for c in range(0xFE00, 0xFE10)
}


def is_invisible(char: str) -> bool:
    """Whether ``char`` would be unseen (or reorder what is seen) in a displayed name."""
    category = unicodedata.category(char)
    if category == "Zs":
        return char not in _SPACES
    return category in _INVISIBLE_CATEGORIES or char in _BLANKS


def _ranges() -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if not is_invisible(chr(code)):
            continue
        if found and found[-1][1] == code - 1:
            found[-1] = (found[-1][0], code)
        else:
            found.append((code, code))
    return found


def _escaped(code: int) -> str:
    return f"\\U{code:08x}"


# The same rule as a regular expression, so that a form schema checks it while parsing:
# the whole value (\A…\Z; "$" would let a final newline through) holds none of them.
VISIBLE_ONLY = (
    r"\A[^"
    + "".join(
        _escaped(lo) if lo == hi else f"{_escaped(lo)}-{_escaped(hi)}" for lo, hi in _ranges()
    )
    + r"]*\Z"
)


def name_meta(*, max_length: int, min_length: int = 0) -> msgspec.Meta:
    """The constraints of a form field holding a person's name."""
    return msgspec.Meta(
        min_length=min_length,
        max_length=max_length,
        pattern=VISIBLE_ONLY,
        description=INVISIBLE_NAME,
    )


def mask(name: str) -> str:
    """The first character of a name and a star for each of the others (at least one)."""
    return name[:1] + "*" * max(1, len(name) - 1)
