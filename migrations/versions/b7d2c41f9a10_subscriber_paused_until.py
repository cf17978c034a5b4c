"""subscriber.paused_until: a pause that ends by itself ("pause for a week")

Revision ID: b7d2c41f9a10
Revises: e834f4704966
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d2c41f9a10'
down_revision = 'e834f4704966'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_column('paused_until')
