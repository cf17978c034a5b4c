"""delivery: the claim index ends with the id, so it holds rows in claim order

Revision ID: f3a9c6d1b842
Revises: d5f2b8c4a610
Create Date: 2026-12-01 14:00:00

"""
from alembic import op


revision = 'f3a9c6d1b842'
down_revision = 'd5f2b8c4a610'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_claim')
        batch_op.create_index('ix_delivery_claim', ['status', 'lane', 'next_attempt_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_claim')
        batch_op.create_index('ix_delivery_claim', ['status', 'lane', 'next_attempt_at'],
                              unique=False)
