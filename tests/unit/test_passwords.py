"""Password rules (SECURITY.md): at least 8, long ones allowed, common ones refused; argon2id."""

from __future__ import annotations

from council.accounts.passwords import hash_password, problem, verify_password


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
    digest = hash_password("correct horse")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "correct horse")
    assert not verify_password(digest, "wrong horse")
    assert not verify_password(None, "anything")
