"""newsletter issues: a clinician may send an issue back with a comment

Revision ID: d5f2b8c4a610
Revises: c4e8a1d2f310
Create Date: 2026-12-01 12:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5f2b8c4a610'
down_revision = 'c4e8a1d2f310'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('newsletter_issue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('returned_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('review_comment', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('newsletter_issue', schema=None) as batch_op:
        batch_op.drop_column('review_comment')
        batch_op.drop_column('returned_by')
