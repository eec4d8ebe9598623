"""Where file bytes live. Local directory by default; other stores plug in by configuration."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from council.settings import Settings

_NAME = re.compile(r"^[0-9a-f]{32}$")


def new_name() -> str:
    """A server-generated name: 128 random bits, nothing taken from the client."""
    return secrets.token_hex(16)


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


class Storage(Protocol):
    """Bytes by name. Names are always produced by ``new_name()``."""

    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes | None: ...

    def delete(self, name: str) -> None: ...


class LocalStorage:
    """Files under one directory (outside static/), fanned out by the first two characters."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        if not valid_name(name):
            raise ValueError("invalid stored file name")
        return self.root / name[:2] / name

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)

    def get(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            self._path(name).unlink()


def storage_for(settings: Settings) -> Storage:
    """The configured store: ``COUNCIL_FILE_STORAGE`` empty or ``local`` → the data directory.

    An S3-compatible store implements the same three methods; until one is written, asking
    for it fails at start-up rather than losing uploads later.
    """
    kind = settings.file_storage or "local"
    if kind == "local":
        return LocalStorage(settings.data_dir / "files")
    raise RuntimeError(f"file storage {kind!r} is not available in this build")
