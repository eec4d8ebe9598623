"""Interface text through gettext. Message ids are the zh-CN text (the source locale);
other locales, such as en, follow as Babel catalogs under council/locale/."""

from __future__ import annotations

import contextvars
import functools
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LOCALE = "zh_CN"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=SOURCE_LOCALE)


@functools.cache
def translations(locale: str) -> NullTranslations:
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), locales=[locale], domain="messages")


@functools.cache
def available_locales() -> tuple[str, ...]:
    """The catalogs shipped with the code, read once: set_locale runs on every request."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.mo"))
    return (SOURCE_LOCALE, *(name for name in found if name != SOURCE_LOCALE))


def set_locale(locale: str) -> None:
    _current.set(locale if locale in available_locales() else SOURCE_LOCALE)


def current_locale() -> str:
    return _current.get()


def gettext(message: str, **variables: object) -> str:
    text = translations(_current.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(_current.get()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def N_(message: str) -> str:
    """Mark text for extraction where it is defined; translate it with _() where it is shown."""
    return message


_ = gettext
