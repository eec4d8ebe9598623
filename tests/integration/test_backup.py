"""S38: `python -m council database backup` / `restore`, run as an operator would, on SQLite
and PostgreSQL: a restored copy verifies, its sealed ballots keep their closing hashes, later
changes are absent, and a tampered copy is refused by name."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council import integrity
from council.audit.models import AuditEntry
from council.councils.models import Council
from council.db import alchemy_config, create_engine
from council.settings import PROJECT_ROOT, Settings
from council.voting import service as voting
from council.voting.models import Ballot, Vote
from council.voting.workflow import Status
from tests import databases as dbs
from tests.conftest import _require_postgres
from tests.voting_support import opened, vote_as


def _env(settings: Settings) -> dict[str, str]:
    return {
        "COUNCIL_DATABASE_URL": settings.database_url,
        "COUNCIL_DATA_DIR": str(settings.data_dir),
        "COUNCIL_SECRET_KEY": settings.secret_key,
        "COUNCIL_DEMO": "false",
        "LITESTAR_APP": "council.app:create_app",
        "COLUMNS": "400",  # keep rich-click from wrapping the names the tests look for
    }


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def council_cli(settings: Settings, *args: str) -> Done:
    """`python -m council …` against the given database: the command group of the shell
    command, invoked in this process (a new interpreter costs 3 s of imports a call; one
    test below runs the shell command itself). Off this test's event loop, since each command
    runs one of its own."""
    from litestar.cli.main import litestar_group

    def invoke() -> Done:
        # The group reads the app (and its commands) once per process, then hands the next
        # command no app: each command here reads it afresh, as a new process would.
        litestar_group._prepare_done = False  # type: ignore[attr-defined]
        result = CliRunner().invoke(litestar_group, list(args), env=_env(settings))
        return Done(result.exit_code, result.stdout, result.stderr)

    return dbs.run_in_thread(invoke)


@pytest.fixture
def fresh(engine_name: str, postgres_admin_url: str | None, tmp_path: Path) -> Iterator[Settings]:
    """Settings for an empty database (no tables) to restore into."""
    data_dir = tmp_path / "restored-data"
    if engine_name == "sqlite":
        (tmp_path / "restored").mkdir()
        yield dbs.make_settings(f"sqlite:///{tmp_path}/restored/council.db", data_dir)
        return
    admin = _require_postgres(postgres_admin_url)
    name = dbs.unique_name("council_restored")
    yield dbs.make_settings(dbs.pg_create(admin, name), data_dir)
    dbs.pg_drop(admin, name)


async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = create_engine(settings, pooled=False).execution_options(write_intent=False)
    async with alchemy_config(settings, engine).get_session() as session:
        yield session
    await engine.dispose()


@pytest.fixture
async def restored_db(fresh: Settings) -> AsyncIterator[AsyncSession]:
    async for session in _session(fresh):
        yield session


async def _sealed(db: AsyncSession) -> dict[UUID, str]:
    rows = await db.execute(
        sa.select(Ballot.id, Ballot.closing_hash).where(Ballot.status == Status.CERTIFIED)
    )
    return {ballot_id: str(closing_hash) for ballot_id, closing_hash in rows}


async def _audit_count(db: AsyncSession) -> int:
    return int(await db.scalar(sa.select(sa.func.count(AuditEntry.id))) or 0)


async def test_S38_restore_verifies_and_keeps_closing_hashes_of_earlier_ballots(
    app: Litestar,
    db: AsyncSession,
    settings: Settings,
    fresh: Settings,
    restored_db: AsyncSession,
    tmp_path: Path,
) -> None:
    """S38: restore from backup → the verifier passes, the closing hashes of earlier ballots
    still match, and what was done after the backup is not in the restored database."""
    sealed = await _sealed(db)
    entries_at_backup = await _audit_count(db)
    await db.rollback()
    assert len(sealed) >= 2, "the demo holds certified ballots"

    backup_file = tmp_path / "backups" / "council.backup"
    done = council_cli(settings, "database", "backup", str(backup_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert backup_file.is_file() and "Backed up" in done.stdout

    # After the backup: a new ballot, a vote on it, and their audit entries.
    later_ballot = await opened(app)
    response = await vote_as(app, "shop01", later_ballot, "yes")
    assert response.status_code == 303, response.text
    later_receipt = response.headers["x-vote-receipt"]
    assert await _audit_count(db) > entries_at_backup
    await db.rollback()

    done = council_cli(fresh, "database", "restore", str(backup_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no problems" in done.stdout
    for ballot_id, closing_hash in sealed.items():
        assert f"ballot {ballot_id.hex} (certified): closing hash {closing_hash} matches" in (
            done.stdout
        )

    report = await integrity.check(restored_db)
    assert report.ok, [f.line() for f in report.broken]
    assert await _sealed(restored_db) == sealed
    for ballot_id in sealed:
        ballot = await restored_db.get_one(Ballot, ballot_id)
        assert (await voting.verify(restored_db, ballot)).ok
    assert await restored_db.get(Ballot, later_ballot) is None
    assert await restored_db.scalar(sa.select(Vote).where(Vote.receipt == later_receipt)) is None
    assert await _audit_count(restored_db) == entries_at_backup


async def _tamper_vote(db: AsyncSession) -> list[str]:
    vote = await db.scalar(
        sa.select(Vote)
        .join(Ballot, Ballot.id == Vote.ballot_id)
        .where(Ballot.status == Status.CERTIFIED, Vote.choices != "no")
        .order_by(Vote.voter_key)
        .limit(1)
    )
    assert vote is not None
    vote.choices = "no"
    return [f"ballot {vote.ballot_id.hex}", f"vote {vote.voter_key}: altered"]


async def _tamper_audit(db: AsyncSession) -> list[str]:
    council_id = await db.scalar(sa.select(Council.id).where(Council.slug == "zhonglou"))
    assert council_id is not None
    await db.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.chain == council_id.hex, AuditEntry.seq == 7)
        .values(actor_label="某人")
    )
    return [f"audit chain {council_id.hex}", "entry 7 altered"]


@pytest.mark.parametrize("tamper", [_tamper_vote, _tamper_audit], ids=["vote", "audit"])
async def test_S38_tampered_backup_fails_the_check_and_names_the_row(
    db: AsyncSession, settings: Settings, fresh: Settings, tmp_path: Path, tamper: object
) -> None:
    """S38: a backup holding an edited row → the restore's check fails (nonzero exit) and
    names the ballot and vote, or the chain and entry, that no longer fit."""
    named = await tamper(db)  # type: ignore[operator]
    await db.commit()
    backup_file = tmp_path / "tampered.backup"
    done = council_cli(settings, "database", "backup", str(backup_file))
    assert done.returncode == 0, done.stdout + done.stderr

    done = council_cli(fresh, "database", "restore", str(backup_file))
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "BROKEN" in done.stdout and "no problems" not in done.stdout
    broken = [line for line in done.stdout.splitlines() if "BROKEN" in line]
    assert any(all(name in line for name in named) for line in broken), output


@pytest.mark.parametrize(
    "tamper", [None, _tamper_vote, _tamper_audit], ids=["sound", "vote", "audit"]
)
async def test_S38_verify_checks_the_live_database_without_a_restore(
    db: AsyncSession, settings: Settings, tamper: object
) -> None:
    """The same check as after a restore, on the database in use: exit 0 and "no problems"
    while it is sound; nonzero naming the ballot and vote, or chain and entry, once edited."""
    named = await tamper(db) if tamper else []  # type: ignore[operator]
    await db.commit()
    done = council_cli(settings, "database", "verify")
    output = done.stdout + done.stderr
    if not named:
        assert done.returncode == 0, output
        assert "no problems" in done.stdout and "BROKEN" not in done.stdout
        return
    assert done.returncode != 0, output
    broken = [line for line in done.stdout.splitlines() if "BROKEN" in line]
    assert any(all(name in line for name in named) for line in broken), output


async def test_S38_restore_refuses_a_database_with_data_or_in_use(
    settings: Settings, fresh: Settings, tmp_path: Path
) -> None:
    """S38: restore never overwrites a database holding data unless --force, and never one
    another process has open (a running server), even with --force."""
    backup_file = tmp_path / "council.backup"
    assert council_cli(settings, "database", "backup", str(backup_file)).returncode == 0
    again = council_cli(settings, "database", "backup", str(backup_file))
    assert again.returncode != 0 and "already exists" in again.stdout + again.stderr

    done = council_cli(settings, "database", "restore", str(backup_file))
    assert done.returncode != 0 and "holds data" in done.stdout + done.stderr

    engine = create_engine(fresh, pooled=False)
    try:
        async with engine.connect() as held:  # as a server's pooled connection would be
            await held.execute(sa.text("SELECT 1"))
            done = council_cli(fresh, "database", "restore", "--force", str(backup_file))
    finally:
        await engine.dispose()
    assert done.returncode != 0 and "in use" in done.stdout + done.stderr

    done = council_cli(settings, "database", "restore", "--force", str(backup_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no problems" in done.stdout


async def test_S38_backup_while_the_database_is_open_holds_the_latest_vote(
    app: Litestar,
    db: AsyncSession,
    settings: Settings,
    fresh: Settings,
    restored_db: AsyncSession,
    tmp_path: Path,
) -> None:
    """S38: a backup taken while the server has the database open holds the vote acknowledged
    just before it (on SQLite the newest commits are still in the WAL file, since an open
    connection keeps the last close from checkpointing them)."""
    await db.scalar(sa.select(sa.func.count(Vote.id)))  # a connection held open, as a server's
    ballot = await opened(app)
    response = await vote_as(app, "shop01", ballot, "no")
    assert response.status_code == 303, response.text
    receipt = response.headers["x-vote-receipt"]

    backup_file = tmp_path / "online.backup"
    done = council_cli(settings, "database", "backup", str(backup_file))
    assert done.returncode == 0, done.stdout + done.stderr
    await db.rollback()

    done = council_cli(fresh, "database", "restore", str(backup_file))
    assert done.returncode == 0, done.stdout + done.stderr
    vote = await restored_db.scalar(sa.select(Vote).where(Vote.receipt == receipt))
    assert vote is not None and vote.ballot_id == ballot and vote.choices == "no"


def test_S38_verify_runs_from_a_shell(settings: Settings) -> None:
    """The commands above as an operator types them: `python -m council database verify`."""
    done = subprocess.run(
        [sys.executable, "-m", "council", "database", "verify"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **_env(settings)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no problems" in done.stdout
