"""Extra commands on `python -m council`: the demo council, account recovery."""

from __future__ import annotations

import asyncio

import click
from litestar import Litestar
from litestar.plugins import CLIPluginProtocol


async def _load_demo_if_empty(app: Litestar) -> bool:
    from council.demo import loader

    config = app.state.alchemy
    async with config.get_session() as db:
        if not await loader.is_empty(db):
            return False
        await loader.load(db, app.state.clock.now(), app.state.storage)
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

        @demo.command(name="load", help="Load the demo council if the database has no council.")
        def load(app: Litestar) -> None:  # Litestar's CLI injects the app by parameter name
            loaded = asyncio.run(_load_demo_if_empty(app))
            click.echo("Demo council loaded." if loaded else "Database not empty: demo not loaded.")
            if app.state.settings.demo:
                print_accounts(app)

        @cli.group(name="accounts", help="People's accounts.")
        def accounts() -> None:
            pass

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
