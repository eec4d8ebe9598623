"""initial passwords: person.must_change_password

An imported person's initial password was chosen by the server and seen by the facilitator
who printed it; its owner changes it at the first sign-in.

Revision ID: 0016initialpassword
Revises: 0015setup
Create Date: 2026-12-02 05:00:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016initialpassword"
down_revision = "0015setup"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both engines: a batch copy of person on SQLite would break the
# triggers other tables keep on it (0011authversion).
def upgrade() -> None:
    op.add_column(
        "person",
        sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("person", "must_change_password")
