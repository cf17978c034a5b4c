"""subscriber link epoch: signed links carry it, raising it revokes them

Revision ID: c4e1a7d93b20
Revises: 03d1bf00ace3
Create Date: 2026-12-01 10:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "c4e1a7d93b20"
down_revision = "03d1bf00ace3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("link_epoch", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_column("link_epoch")
