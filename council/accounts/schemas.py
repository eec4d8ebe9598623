"""Form shapes for accounts."""

from __future__ import annotations

from typing import Annotated

import msgspec

from council.accounts.names import name_meta
from council.i18n import N_

Login = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=40,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description=N_("账号只能包含字母、数字、下划线、点和横线，3 到 40 位"),
    ),
]
Name = Annotated[str, name_meta(min_length=1, max_length=60)]
Phone = Annotated[
    str,
    msgspec.Meta(max_length=30, pattern=r"^[0-9+\- ]*$", description=N_("请填写有效的电话号码")),
]
Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SignUpForm(msgspec.Struct):
    login: Login
    display_name: Name
    password: Secret
    password_again: Secret
    phone: Phone = ""


class SignInForm(msgspec.Struct):
    login: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    password: Secret
    next: Annotated[str, msgspec.Meta(max_length=300)] = ""


class ChangePasswordForm(msgspec.Struct):
    current_password: Secret
    new_password: Secret
    new_password_again: Secret
    next: Annotated[str, msgspec.Meta(max_length=300)] = ""


Code = Annotated[
    str,
    msgspec.Meta(min_length=6, max_length=12, description=N_("请输入验证器应用中显示的 6 位数字")),
]


class CodeForm(msgspec.Struct):
    code: Code
    next: Annotated[str, msgspec.Meta(max_length=300)] = ""


class DisableSecondFactorForm(msgspec.Struct):
    password: Secret
    code: Code
