"""`python -m council …`: the Litestar CLI pointed at council.app:create_app."""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("LITESTAR_APP", "council.app:create_app")
    from litestar.cli.main import litestar_group

    litestar_group()


if __name__ == "__main__":
    main()
