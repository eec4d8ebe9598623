"""day one: the one-time claim of an empty instance; constituencies' history

setup_claim holds the nonce of the setup code while nobody administers the instance;
constituency_change keeps each constituency's name and seats from the time they applied, so
that renaming or resizing one leaves past ballots readable as they were held.

Revision ID: 0015setup
Revises: 0014pageversions
Create Date: 2026-12-01 19:30:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op


sa.GUID = GUID  # type: ignore[attr-defined]
sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = '0015setup'
down_revision = '0014pageversions'
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
    op.create_table('constituency_change',
    sa.Column('council_id', sa.GUID(length=16), nullable=False),
    sa.Column('constituency_id', sa.GUID(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.GUID(length=16), nullable=True),
    sa.Column('id', sa.GUID(length=16), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['person.id'], name=op.f('fk_constituency_change_changed_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['constituency_id'], ['constituency.id'], name=op.f('fk_constituency_change_constituency_id_constituency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_constituency_change_council_id_council'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_constituency_change'))
    )
    with op.batch_alter_table('constituency_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_constituency_change_constituency_id'), ['constituency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_constituency_change_council_id'), ['council_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('constituency_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_constituency_change_council_id'))
        batch_op.drop_index(batch_op.f('ix_constituency_change_constituency_id'))
    op.drop_table('constituency_change')
    op.drop_table('setup_claim')
