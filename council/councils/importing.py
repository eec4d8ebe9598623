"""Bulk import of a council's shops and people from a CSV or Excel sheet.

A facilitator downloads the template, fills one row per shop (with the account of the person
who represents it, if known) or per resident (no shop columns), and uploads it. The preview
names each row's problem before anything is saved; the confirmed sheet is checked again and
saved in the request's one transaction, so a sheet is imported whole or not at all. People
without an account get one, with an initial password shown once to the facilitator.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import secrets
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.schemas import Login, Name, Phone
from council.accounts.service import create_person, normalise_login
from council.audit import service as audit
from council.councils import service
from council.councils.models import ClaimStatus, Council, Membership, Role, Shop, ShopRepresentative
from council.councils.permissions import Action, Actor, can, conflicting_role
from council.councils.schemas import ShopForm
from council.errors import FormInvalid, NotAllowed
from council.forms import parse_form
from council.i18n import N_, _
from council.settings import Settings

# (key, column heading): the template's columns, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", N_("店铺编号")),
    ("name", N_("店铺名称")),
    ("address", N_("地址")),
    ("category", N_("经营类别")),
    ("login", N_("账号")),
    ("display_name", N_("姓名")),
    ("phone", N_("电话")),
)
SHOP_KEYS = ("number", "name", "address", "category")
PERSON_KEYS = ("login", "display_name", "phone")
MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
XLSX_MAGIC = b"PK\x03\x04"


class PersonRow(msgspec.Struct):
    login: Login
    display_name: Name | None = None
    phone: Phone = ""


@dataclass
class Row:
    """One line of the sheet (``line`` as the spreadsheet numbers it) and its problems."""

    line: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)

    @property
    def is_shop(self) -> bool:
        return any(self.values.get(k) for k in SHOP_KEYS)

    @property
    def has_person(self) -> bool:
        return any(self.values.get(k) for k in PERSON_KEYS)


@dataclass
class Sheet:
    rows: list[Row]
    problems: list[str] = field(default_factory=list)  # of the sheet as a whole

    @property
    def ok(self) -> bool:
        return not self.problems and not any(r.problems for r in self.rows)

    @property
    def refused_rows(self) -> list[Row]:
        return [r for r in self.rows if r.problems]

    def encoded(self) -> str:
        """The rows as the confirm form carries them back (checked again on arrival)."""
        return json.dumps([[r.line, r.values] for r in self.rows], ensure_ascii=False)


@dataclass(frozen=True)
class Created:
    shops: int
    people: list[tuple[str, str, str]]  # (login, name, initial password), shown once
    linked: int


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(data: bytes) -> list[list[str]]:
    """The sheet's cells as text: an .xlsx workbook's first sheet, or CSV in UTF-8 (with or
    without the BOM Excel writes) or GB18030 (what Excel saves as CSV on Chinese Windows)."""
    if data.startswith(XLSX_MAGIC):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise FormInvalid(
                {"sheet": _("无法读取这个 Excel 文件，请用模板另存为 .xlsx")}
            ) from exc
        rows = [[_cell(c) for c in row] for row in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
        return rows
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FormInvalid({"sheet": _("无法识别文件的编码，请用模板另存为 CSV (UTF-8) 或 .xlsx")})
    if "\x00" in text:
        raise FormInvalid({"sheet": _("这不是 CSV 或 Excel 文件，请使用模板")})
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def read(data: bytes) -> Sheet:
    """Rows of the uploaded sheet by column heading (any order; unknown columns ignored)."""
    if not data:
        raise FormInvalid({"sheet": _("请选择要导入的文件")})
    if len(data) > MAX_BYTES:
        raise FormInvalid({"sheet": _("文件超过 1 MB，请分成几个表格导入")})
    table = [row for row in _table(data)]
    if not table:
        raise FormInvalid({"sheet": _("表格是空的")})
    labels = {_(label): key for key, label in COLUMNS} | {key: key for key, _l in COLUMNS}
    heading = [labels.get(cell.strip()) for cell in table[0]]
    if "number" not in heading and "login" not in heading:
        raise FormInvalid({"sheet": _("第一行应是表头（店铺编号、店铺名称……），请使用模板")})
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        values = {k: cells[i] for i, k in enumerate(heading) if k and i < len(cells) and cells[i]}
        if values:
            rows.append(Row(line, values))
    if not rows:
        raise FormInvalid({"sheet": _("表格里没有要导入的行")})
    if len(rows) > MAX_ROWS:
        raise FormInvalid({"sheet": _("一次最多导入 %(n)s 行", n=MAX_ROWS)})
    return Sheet(rows)


def decode(encoded: str) -> Sheet:
    """The confirm form's rows; anything malformed is refused like a bad upload."""
    try:
        raw = json.loads(encoded)
        rows = [
            Row(int(line), {str(k): str(v)[:500] for k, v in dict(values).items()})
            for line, values in raw
        ]
    except (ValueError, TypeError) as exc:
        raise FormInvalid({"sheet": _("导入内容无法识别，请重新上传表格")}) from exc
    if not rows or len(rows) > MAX_ROWS:
        raise FormInvalid({"sheet": _("导入内容无法识别，请重新上传表格")})
    return Sheet(rows)


def _field_problems(schema: type[msgspec.Struct], values: Mapping[str, str]) -> list[str]:
    try:
        parse_form(schema, values)
    except FormInvalid as exc:
        heading = dict(COLUMNS)
        return [f"{_(heading.get(k, k))}：{message}" for k, message in exc.errors.items()]
    return []


async def check(db: AsyncSession, council: Council, sheet: Sheet) -> Sheet:
    """Every row's problems, against the sheet itself and what the council already holds."""
    taken = set(await db.scalars(sa.select(Shop.number).where(Shop.council_id == council.id)))
    logins = {normalise_login(r.values.get("login", "")) for r in sheet.rows} - {""}
    people = {
        p.login: p for p in await db.scalars(sa.select(Person).where(Person.login.in_(logins)))
    }
    held: dict[str, set[Role]] = {}
    if people:
        rows = await db.execute(
            sa.select(Person.login, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.council_id == council.id,
                Membership.status == ClaimStatus.VERIFIED,
                Person.id.in_([p.id for p in people.values()]),
            )
        )
        for login, role in rows:
            held.setdefault(login, set()).add(role)
    numbers: dict[str, int] = {}
    residents: dict[str, int] = {}
    for row in sheet.rows:
        values = row.values
        if row.is_shop:
            row.problems += _field_problems(ShopForm, {k: values.get(k, "") for k in SHOP_KEYS})
            number = values.get("number", "")
            if number in taken:
                row.problems.append(_("本议事会已有编号为 %(n)s 的店铺", n=number))
            elif number and number in numbers:
                row.problems.append(
                    _("店铺编号 %(n)s 与第 %(l)s 行重复", n=number, l=numbers[number])
                )
            numbers.setdefault(number, row.line)
        elif not row.has_person:
            row.problems.append(_("没有店铺编号，也没有账号"))
        if not row.has_person:
            continue
        person_values = {k: values.get(k, "") for k in PERSON_KEYS}
        row.problems += _field_problems(PersonRow, person_values)
        login = normalise_login(values.get("login", ""))
        existing = people.get(login)
        if existing is None and login and not values.get("display_name"):
            row.problems.append(_("新账号 %(login)s 须填写姓名", login=login))
        role = Role.MERCHANT if row.is_shop else Role.RESIDENT
        other = conflicting_role(held.get(login, set()), role)
        if other is not None:
            row.problems.append(
                _(
                    "%(login)s 是本议事会的%(held)s，不能同时担任%(role)s",
                    login=login,
                    held=service.role_label(other),
                    role=service.role_label(role),
                )
            )
        if not row.is_shop and login:
            if Role.RESIDENT in held.get(login, set()):
                row.problems.append(_("%(login)s 已是本议事会的居民", login=login))
            elif login in residents:
                row.problems.append(
                    _("账号 %(login)s 与第 %(l)s 行重复", login=login, l=residents[login])
                )
            residents.setdefault(login, row.line)
    return sheet


def initial_password() -> str:
    """Read off paper and typed once: no look-alike characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


async def save(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    sheet: Sheet,
    settings: Settings,
    now: dt.datetime,
) -> Created:
    """Check the sheet again and save all of it; any problem refuses all of it (the request's
    transaction is rolled back), each row's problem named."""
    if not can(actor, Action.MANAGE_SHOPS, council.id):
        raise NotAllowed(_("只有主持人可以导入店铺和人员"))
    await check(db, council, sheet)
    if not sheet.ok:
        raise SheetRefused(sheet)
    people: dict[str, Person] = {}
    made: list[tuple[str, str, str]] = []
    shops = linked = 0
    for row in sheet.rows:
        values = row.values
        shop = None
        if row.is_shop:
            shop = await service.add_shop(
                db,
                actor,
                council,
                parse_form(ShopForm, {k: values.get(k, "") for k in SHOP_KEYS}),
                now,
            )
            shops += 1
        if not row.has_person:
            continue
        login = normalise_login(values["login"])
        person = people.get(login) or await db.scalar(
            sa.select(Person).where(Person.login == login)
        )
        if person is None:
            password = initial_password()
            person = await create_person(
                db,
                login,
                values["display_name"],
                password,
                settings,
                phone=values.get("phone", ""),
                must_change_password=True,  # the facilitator saw it
            )
            made.append((login, person.display_name, password))
            await audit.record_by(
                db,
                actor,
                council.id,
                "person.imported",
                ("person", person.id),
                {"login": login},
                at=now,
            )
        else:
            linked += login not in people
        people[login] = person
        if shop is not None:
            representative = ShopRepresentative(
                council_id=council.id,
                shop_id=shop.id,
                person_id=person.id,
                status=ClaimStatus.VERIFIED,
                decided_by_id=actor.person_id,
                decided_at=now,
                claim_note=_("批量导入"),
            )
            db.add(representative)
            await service.ensure_merchant_role(db, actor, council, person.id, now)
        else:
            await service.grant(db, actor, council, person, Role.RESIDENT, now)
    await audit.record_by(
        db,
        actor,
        council.id,
        "council.imported",
        ("council", council.id),
        {
            "rows": len(sheet.rows),
            "shops": shops,
            "new_people": len(made),
            "digest": _digest(sheet),
        },
        at=now,
    )
    return Created(shops, made, linked)


def _digest(sheet: Sheet) -> str:
    return hashlib.sha256(sheet.encoded().encode()).hexdigest()


class SheetRefused(FormInvalid):
    """A sheet with problems: nothing saved; the preview shows each row's problem again."""

    def __init__(self, sheet: Sheet) -> None:
        count = len(sheet.refused_rows) + len(sheet.problems)
        super().__init__({"sheet": _("有 %(n)s 行需要修改，全部未导入", n=count)})
        self.sheet = sheet


def template_csv() -> bytes:
    """The template as CSV with a BOM, so that Excel opens it as UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerow([_(label) for _k, label in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("店铺和人员")
    sheet.append([_(label) for _k, label in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter in "ABCDEFG":
        sheet.column_dimensions[letter].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def headings() -> Sequence[str]:
    return [_(label) for _k, label in COLUMNS]


def rows_for_display(sheet: Sheet) -> Iterable[tuple[Row, list[str]]]:
    keys = [k for k, _l in COLUMNS]
    return ((row, [row.values.get(k, "") for k in keys]) for row in sheet.rows)
