"""one outbox with lanes: newsletter issues, suppressions by hash, sending hold

Revision ID: b7d2c41e9f08
Revises: b7d2c41f9a10
Create Date: 2026-12-01 09:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d2c41e9f08'
down_revision = 'b7d2c41f9a10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('newsletter_issue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('preheader', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_issue'))
    )
    op.create_table('suppression',
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('address_hash', name=op.f('pk_suppression'))
    )
    op.create_table('sending_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reply', sa.String(length=500), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sending_hold'))
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_address', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('lane', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('newsletter_issue_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=100), nullable=True))
        batch_op.alter_column('subscriber_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_delivery_newsletter_issue_id_newsletter_issue'), 'newsletter_issue',
            ['newsletter_issue_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(
            batch_op.f('uq_delivery_subscriber_id_newsletter_issue_id'),
            ['subscriber_id', 'newsletter_issue_id'])
        batch_op.create_unique_constraint(
            batch_op.f('uq_delivery_idempotency_key'), ['idempotency_key'])
        batch_op.drop_index('ix_delivery_status_next_attempt_at')
        batch_op.create_index('ix_delivery_claim', ['status', 'lane', 'next_attempt_at'],
                              unique=False)
    # Rows queued before lanes existed: transactional kinds go first, as they now would.
    op.execute("UPDATE delivery SET lane = 0 WHERE kind IN ('confirmation', 'already_subscribed')")
    op.execute("UPDATE delivery SET lane = 2 WHERE kind = 'newsletter'")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.alter_column('lane', existing_type=sa.Integer(), server_default=None)


def downgrade():
    op.execute("DELETE FROM delivery WHERE subscriber_id IS NULL")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_claim')
        batch_op.create_index('ix_delivery_status_next_attempt_at', ['status', 'next_attempt_at'],
                              unique=False)
        batch_op.drop_constraint(batch_op.f('uq_delivery_idempotency_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_delivery_subscriber_id_newsletter_issue_id'),
                                 type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_delivery_newsletter_issue_id_newsletter_issue'),
                                 type_='foreignkey')
        batch_op.alter_column('subscriber_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('newsletter_issue_id')
        batch_op.drop_column('lane')
        batch_op.drop_column('to_address')
    op.drop_table('sending_hold')
    op.drop_table('suppression')
    op.drop_table('newsletter_issue')
