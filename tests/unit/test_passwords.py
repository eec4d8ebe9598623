"""Password rules (SECURITY.md): at least 8, long ones allowed, common ones refused; argon2id."""

from __future__ import annotations

from pathlib import Path

from argon2.profiles import RFC_9106_LOW_MEMORY

from council.accounts.passwords import hash_password, needs_rehash, problem, verify_password
from council.settings import Settings
from tests.databases import PASSWORD_HASHING


def test_short_and_common_passwords_are_refused() -> None:
    assert problem("short1") == "密码至少 8 位"
    assert problem("12345678") is not None
    assert problem("woaini1314") is not None
    assert problem("aaaaaaaa") is not None
    assert problem("zhangwei", login="zhangwei") is not None


def test_long_passphrases_are_accepted() -> None:
    assert problem("钟楼烟火" * 16) is None
    assert problem("correct horse battery staple") is None


def test_argon2id_hash_verifies_only_the_right_password() -> None:
    digest = hash_password("correct horse", PASSWORD_HASHING)
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "correct horse", PASSWORD_HASHING)
    assert not verify_password(digest, "wrong horse", PASSWORD_HASHING)
    assert not verify_password(None, "anything", PASSWORD_HASHING)


def test_production_hashes_with_argon2_recommended_parameters(tmp_path: Path) -> None:
    """Only the test suite lowers the cost: a server configured from its environment hashes
    with RFC 9106's second recommendation (argon2id, 64 MiB, 3 passes, 4 lanes)."""
    settings = Settings.from_env({"COUNCIL_DATA_DIR": str(tmp_path)})
    assert settings.password_hashing == RFC_9106_LOW_MEMORY
    digest = hash_password("correct horse", settings.password_hashing)
    assert digest.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(digest, "correct horse", settings.password_hashing)
    assert not needs_rehash(digest, settings.password_hashing)


def test_a_cheaper_hash_is_renewed_at_the_configured_cost() -> None:
    """A hash made at a lower cost than the server's still verifies and is flagged for
    rehashing, which sign-in then does (accounts/service.py authenticate)."""
    cheap = hash_password("correct horse", PASSWORD_HASHING)
    assert verify_password(cheap, "correct horse", RFC_9106_LOW_MEMORY)
    assert needs_rehash(cheap, RFC_9106_LOW_MEMORY)
    assert not needs_rehash(cheap, PASSWORD_HASHING)
