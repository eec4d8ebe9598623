"""A street office starts without the demo: on an empty database the server prints a one-time
setup code; the setup page asks for it and creates the first administrator, then is gone;
`python -m council accounts create-admin` does the same from a shell. Both are audited."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.app import create_app
from council.db import alchemy_config, create_engine
from council.settings import Settings
from tests import databases as dbs
from tests.conftest import _require_postgres, migrate
from tests.support import audit_actions, client_for, csrf_token, text_of

CODE = re.compile(r"setup code ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})")
PASSWORD = "street-office-2026"


@pytest.fixture
def empty_settings(
    engine_name: str, postgres_admin_url: str | None, tmp_path: Path
) -> Iterator[Settings]:
    """A migrated database with nobody in it, and the demo off."""
    if engine_name == "sqlite":
        url, drop = f"sqlite:///{tmp_path}/empty.db", None
    else:
        admin = _require_postgres(postgres_admin_url)
        name = dbs.unique_name("council_first")
        url, drop = dbs.pg_create(admin, name), (admin, name)
    settings = dbs.make_settings(url, tmp_path / "data", demo=False)
    migrate(settings)
    yield settings
    if drop:
        dbs.pg_drop(*drop)


@pytest.fixture
async def empty_db(empty_settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = create_engine(empty_settings, pooled=False).execution_options(write_intent=False)
    async with alchemy_config(empty_settings, engine).get_session() as session:
        yield session
    await engine.dispose()


async def _admins(db: AsyncSession) -> list[Person]:
    await db.rollback()
    return list((await db.scalars(sa.select(Person).where(Person.is_admin))).all())


async def _setup(app: Litestar, client: object, **fields: str) -> object:
    token = await csrf_token(client)  # type: ignore[arg-type]
    return await client.post("/setup", data={"_csrf_token": token, **fields})  # type: ignore[attr-defined]


async def test_first_run_setup_code_from_the_server_output_claims_the_instance_once(
    empty_settings: Settings, empty_db: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(empty_settings)
    admin = {"login": "jiedao", "display_name": "街道办 王主任"}
    admin |= {"password": PASSWORD, "password_again": PASSWORD}
    async with client_for(app) as client:
        printed = capsys.readouterr().err
        found = CODE.search(printed)
        assert found, printed
        code = found.group(1)
        page = await client.get("/setup")
        assert page.status_code == 200
        assert "设置码" in page.text
        assert code in capsys.readouterr().err  # each visit prints it again on the server

        wrong = await _setup(app, client, code="AAAA-BBBB-CCCC", **admin)
        assert wrong.status_code == 422  # type: ignore[attr-defined]
        assert "设置码不正确" in text_of(wrong.text)  # type: ignore[attr-defined]
        assert 'value="jiedao"' in wrong.text  # type: ignore[attr-defined]
        assert await _admins(empty_db) == []

        # Typed as a person would: lower case, spaces instead of dashes.
        right = await _setup(app, client, code=code.lower().replace("-", " "), **admin)
        assert right.status_code == 303, right.text  # type: ignore[attr-defined]
        assert right.headers["location"].startswith("/admin")  # type: ignore[attr-defined]
        assert (await client.get("/admin")).status_code == 200

        assert (await client.get("/setup")).status_code == 404
        again = await _setup(app, client, code=code, **{**admin, "login": "other"})
        assert again.status_code == 404  # type: ignore[attr-defined]
    assert [p.login for p in await _admins(empty_db)] == ["jiedao"]
    (entry,) = await audit_actions(empty_db, "person.admin_created")
    assert json.loads(entry.summary) == {"via": "setup page"}
    # A restarted server of a claimed instance prints no code.
    capsys.readouterr()
    async with client_for(create_app(empty_settings)):
        assert "setup code" not in capsys.readouterr().err
    await app.state.alchemy.get_engine().dispose()


def test_first_run_create_admin_command_makes_an_administrator(
    empty_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litestar.cli.main import litestar_group

    monkeypatch.setenv("COUNCIL_DATABASE_URL", empty_settings.database_url)
    monkeypatch.setenv("COUNCIL_DATA_DIR", str(empty_settings.data_dir))
    monkeypatch.setenv("COUNCIL_SECRET_KEY", empty_settings.secret_key)
    monkeypatch.setenv("COUNCIL_DEMO", "false")
    monkeypatch.setenv("LITESTAR_APP", "council.app:create_app")
    runner = CliRunner()
    command = ["accounts", "create-admin", "Jiedao", "--name", "街道办 王主任"]
    weak = runner.invoke(litestar_group, command, input="123\n123\n")
    assert weak.exit_code != 0
    assert "密码至少" in weak.output
    made = runner.invoke(litestar_group, command, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    assert "Administrator jiedao created" in made.output
    taken = runner.invoke(litestar_group, command, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert taken.exit_code != 0
    assert "已被使用" in taken.output

    async def check() -> tuple[list[str], list[str]]:
        engine = create_engine(empty_settings, pooled=False)
        async with alchemy_config(empty_settings, engine).get_session() as db:
            admins = [p.login for p in await _admins(db)]
            via = [
                json.loads(e.summary)["via"]
                for e in await audit_actions(db, "person.admin_created")
            ]
        await engine.dispose()
        return admins, via

    assert dbs.run_async(check) == (["jiedao"], ["command line"])
    # The demo is not loaded when COUNCIL_DEMO is off.
    skipped = runner.invoke(litestar_group, ["demo", "load"])
    assert skipped.exit_code == 0, skipped.output
    assert "not loaded" in skipped.output
