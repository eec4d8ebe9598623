"""Versions of the public pages, by scope: a council's pages, or the rest of the site."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.orm import Base


class PageVersion(Base):
    """Raised in the transaction of every request that writes (``council.web.pagecache``);
    a cached page is served only while the versions it was made under still hold."""

    __tablename__ = "page_version"

    scope: Mapped[str] = mapped_column(sa.String(80), unique=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=0)
