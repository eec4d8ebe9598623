"""accounts: the one-time claim of an empty instance by its first administrator

Revision ID: 0012setup
Revises: 0011authversion
Create Date: 2026-12-01 19:30:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op


sa.GUID = GUID  # type: ignore[attr-defined]
sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = '0012setup'
down_revision = '0011authversion'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('setup_claim',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('id', sa.GUID(length=16), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setup_claim')),
    sa.UniqueConstraint('nonce', name=op.f('uq_setup_claim_nonce'))
    )


def downgrade() -> None:
    op.drop_table('setup_claim')
