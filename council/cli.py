"""Extra commands on `python -m council`: the demo council, account recovery, backups."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click
from litestar import Litestar
from litestar.plugins import CLIPluginProtocol

from council import backup, integrity

if TYPE_CHECKING:
    from council.accounts.setup import AdminForm


async def _load_demo_if_empty(app: Litestar) -> bool:
    from council.demo import loader

    config = app.state.alchemy
    async with config.get_session() as db:
        if not await loader.is_empty(db):
            return False
        await loader.load(
            db, app.state.clock.now(), app.state.storage, app.state.settings.password_hashing
        )
        await db.commit()
    await config.get_engine().dispose()
    return True


async def _reset_second_factor(app: Litestar, login: str) -> bool:
    from council.accounts import second_factor

    config = app.state.alchemy
    async with config.get_session() as db:
        person = await second_factor.reset(db, login, app.state.clock.now())
        await db.commit()
    await config.get_engine().dispose()
    return person is not None


async def _check_database(app: Litestar) -> integrity.Report:
    from council.db import alchemy_config, create_engine

    settings = app.state.settings
    engine = create_engine(settings, pooled=False)
    try:
        async with alchemy_config(settings, engine).get_session() as db:
            return await integrity.check(db)
    finally:
        await engine.dispose()


async def _send_reminders(app: Litestar) -> int:
    from council.workorders import service as orders

    config = app.state.alchemy
    async with config.get_session() as db:
        sent = await orders.send_reminders(db, app.state.clock.now())
        await db.commit()
    # The reminders' e-mails and webhooks go out now, from this process, after the commit.
    await app.state.dispatcher.drain()
    await config.get_engine().dispose()
    return sent


async def _deliver(app: Litestar) -> int:
    config = app.state.alchemy
    sent = int(await app.state.dispatcher.drain())
    await config.get_engine().dispose()
    return sent


async def _create_admin(app: Litestar, form: AdminForm) -> str:
    from council.accounts import setup

    config = app.state.alchemy
    async with config.get_session() as db:
        person = await setup.create_admin(
            db, form, app.state.settings, app.state.clock.now(), via="command line"
        )
        await db.commit()
        login = person.login
    await config.get_engine().dispose()
    return login


def _verify(app: Litestar, failure: str) -> None:
    """Print one line per audit chain and closed ballot; fail naming whatever does not fit."""
    report = asyncio.run(_check_database(app))
    for finding in report.findings:
        click.echo(f"  {finding.line()}")
    click.echo(report.summary())
    if not report.ok:
        raise click.ClickException(
            f"{failure}: " + "; ".join(f"{f.subject}: {f.detail}" for f in report.broken)
        )


def _app_of(ctx: click.Context) -> Litestar:
    # Inside advanced-alchemy's `database` group the context holds {"app": LitestarEnv, …}.
    return ctx.obj["app"].app  # type: ignore[no-any-return]


def _where(app: Litestar) -> str:
    from sqlalchemy.engine import make_url

    return make_url(app.state.settings.database_url).render_as_string(hide_password=True)


def print_accounts(app: Litestar) -> None:
    from council.demo import data, loader

    settings = app.state.settings
    click.echo("")
    click.echo(f"  钟楼烟火商居议事会 demo: {settings.base_url}/c/{data.COUNCIL['slug']}")
    click.echo(f"  Demo accounts (password for all: {data.DEMO_PASSWORD}):")
    for account in loader.accounts():
        click.echo(f"    {account.login:<10} {account.name:<10} {account.what}")
    click.echo("    shop01 … shop40: the representative of each shop")
    click.echo("")


class CouncilCLIPlugin(CLIPluginProtocol):
    def on_cli_init(self, cli: click.Group) -> None:
        @cli.group(name="demo", help="The 钟楼烟火 demo council.")
        def demo() -> None:
            pass

        @demo.command(
            name="load",
            help="Load the demo council if the database has no council and COUNCIL_DEMO is on.",
        )
        def load(app: Litestar) -> None:  # Litestar's CLI injects the app by parameter name
            if not app.state.settings.demo:
                click.echo("COUNCIL_DEMO is off: demo not loaded.")
                return
            loaded = asyncio.run(_load_demo_if_empty(app))
            click.echo("Demo council loaded." if loaded else "Database not empty: demo not loaded.")
            if app.state.settings.demo:
                print_accounts(app)

        # Beside advanced-alchemy's migration commands: `python -m council database backup …`.
        from advanced_alchemy.extensions.litestar.cli import database_group

        @database_group.command(
            name="backup",
            help="Write a consistent copy of the database to PATH (a new file), safe while the "
            "server runs. SQLite: the online backup API; PostgreSQL: pg_dump --format=custom.",
        )
        @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
        def backup_command(ctx: click.Context, path: Path) -> None:
            app = _app_of(ctx)
            try:
                written = backup.backup(app.state.settings, path)
            except backup.BackupError as exc:
                raise click.ClickException(str(exc)) from exc
            click.echo(f"Backed up {_where(app)} to {written}.")

        @database_group.command(
            name="restore",
            help="Replace the database with the backup at PATH, then verify every audit chain "
            "and the closing hash of every closed ballot. Refuses a database that holds data "
            "unless --force, and always one that another process has open.",
        )
        @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
        @click.option("--force", is_flag=True, help="Replace a database that holds data.")
        def restore_command(ctx: click.Context, path: Path, force: bool) -> None:
            app = _app_of(ctx)
            try:
                backup.restore(app.state.settings, path, force=force)
            except backup.BackupError as exc:
                raise click.ClickException(str(exc)) from exc
            click.echo(f"Restored {path} into {_where(app)}. Verifying:")
            _verify(app, "the restored database does not verify")

        @database_group.command(
            name="verify",
            help="Verify every audit chain and recompute the closing hash of every closed "
            "ballot against the one its audit entry published; nonzero exit naming what broke.",
        )
        def verify_command(ctx: click.Context) -> None:
            app = _app_of(ctx)
            click.echo(f"Verifying {_where(app)}:")
            _verify(app, "the database does not verify")

        @cli.group(name="orders", help="Work orders of the departments (转办 · 工单).")
        def orders() -> None:
            pass

        @orders.command(
            name="remind",
            help="Tell the liaisons of every work order coming due within its council's "
            "reminder window (once per deadline). Run it from cron, e.g. every hour.",
        )
        def remind(app: Litestar) -> None:
            sent = asyncio.run(_send_reminders(app))
            click.echo(f"Reminders sent for {sent} work order(s).")

        @cli.group(name="notifications", help="Notifications by e-mail and webhook.")
        def notifications() -> None:
            pass

        @notifications.command(
            name="deliver",
            help="Send every e-mail and webhook delivery that is due, retries included. The "
            "server does this by itself; run it from cron to cover a server that was down.",
        )
        def deliver(app: Litestar) -> None:
            sent = asyncio.run(_deliver(app))
            click.echo(f"Deliveries sent: {sent}.")

        @cli.group(name="accounts", help="People's accounts.")
        def accounts() -> None:
            pass

        @accounts.command(
            name="create-admin",
            help="Create an administrator of the platform (the first one of an empty database, "
            "or another); asks for the name and the password.",
        )
        @click.argument("login")
        @click.option("--name", prompt="Display name", help="The name shown to others.")
        @click.password_option(prompt="Password", confirmation_prompt=True)
        def create_admin(app: Litestar, login: str, name: str, password: str) -> None:
            from council.accounts.setup import AdminForm
            from council.errors import FormInvalid
            from council.forms import parse_form

            fields = {"login": login, "display_name": name}
            fields |= {"password": password, "password_again": password}
            try:
                made = asyncio.run(_create_admin(app, parse_form(AdminForm, fields)))
            except FormInvalid as exc:
                raise click.ClickException("; ".join(exc.errors.values())) from exc
            base = app.state.settings.base_url
            click.echo(f"Administrator {made} created. Sign in at {base}/signin")

        @accounts.command(
            name="reset-second-factor",
            help="Turn off a person's second factor (a lost phone); the person signs in with "
            "the password and may set it up again.",
        )
        @click.argument("login")
        def reset_second_factor(app: Litestar, login: str) -> None:
            if not asyncio.run(_reset_second_factor(app, login)):
                raise click.ClickException(f"No account with login {login!r}.")
            click.echo(f"Second factor of {login} turned off.")
