"""newsletter issues: review, schedule, archive slug; when a subscriber left the newsletter

Revision ID: c4e8a1d2f310
Revises: c4e1a7d93b20
Create Date: 2026-12-01 10:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8a1d2f310'
down_revision = 'c4e1a7d93b20'
branch_labels = None
depends_on = None

_DATE = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('newsletter_issue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slug', sa.String(length=90), nullable=True))
        batch_op.add_column(sa.Column('include_course', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('created_by', sa.String(length=120), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('updated_at', _DATE, nullable=False,
                                      server_default=sa.func.now()))
        batch_op.add_column(sa.Column('submitted_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', _DATE, nullable=True))
        batch_op.add_column(sa.Column('approved_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('approved_at', _DATE, nullable=True))
        batch_op.add_column(sa.Column('approved_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('schedule_mode', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('send_at', _DATE, nullable=True))
        batch_op.add_column(sa.Column('send_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('scheduled_at', _DATE, nullable=True))
        batch_op.add_column(sa.Column('finished_at', _DATE, nullable=True))
        batch_op.add_column(sa.Column('audience_size', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.create_unique_constraint(batch_op.f('uq_newsletter_issue_slug'), ['slug'])
        batch_op.create_index(batch_op.f('ix_newsletter_issue_status'), ['status'],
                              unique=False)
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('newsletter_off_at', _DATE, nullable=True))


def downgrade():
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_column('newsletter_off_at')
    with op.batch_alter_table('newsletter_issue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsletter_issue_status'))
        batch_op.drop_constraint(batch_op.f('uq_newsletter_issue_slug'), type_='unique')
        for name in ('audience_size', 'finished_at', 'scheduled_at', 'send_day', 'send_at',
                     'schedule_mode', 'approved_hash', 'approved_at', 'approved_by',
                     'submitted_at', 'submitted_by', 'updated_at', 'created_by',
                     'include_course', 'slug'):
            batch_op.drop_column(name)
