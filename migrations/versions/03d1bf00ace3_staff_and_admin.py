"""staff, audit log, login failures, worker heartbeat (and the admin's lesson review columns)

Revision ID: 03d1bf00ace3
Revises: b7d2c41e9f08
Create Date: 2026-12-01 09:42:32.197889

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '03d1bf00ace3'
down_revision = 'b7d2c41e9f08'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_ip_address'), ['ip_address'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('is_clinician', sa.Boolean(), nullable=False),
    sa.Column('credentials', sa.String(length=120), nullable=False),
    sa.Column('sign_reviews', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_token', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_email'))
    )
    op.create_table('worker_heartbeat',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeat'))
    )
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_audit_entry_staff_id_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_staff_id'), ['staff_id'], unique=False)

    # The lesson editor's columns (lesson, lesson_revision) go below this line.
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('show_review_credit', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.alter_column('show_review_credit', server_default=None)

    # Revisions that exist already were all published by `lessons import`.
    with op.batch_alter_table('lesson_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='published'))
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviewer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('review_comment', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('review_credit', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('restored_from', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_lesson_revision_author_id_staff'), 'staff', ['author_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_lesson_revision_reviewer_id_staff'), 'staff', ['reviewer_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('lesson_revision', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
        batch_op.alter_column('review_comment', server_default=None)
        batch_op.alter_column('review_credit', server_default=None)


def downgrade():
    with op.batch_alter_table('lesson_revision', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lesson_revision_reviewer_id_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_lesson_revision_author_id_staff'), type_='foreignkey')
        batch_op.drop_column('restored_from')
        batch_op.drop_column('review_credit')
        batch_op.drop_column('review_comment')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewer_id')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('author_id')
        batch_op.drop_column('status')

    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_column('show_review_credit')
        batch_op.drop_column('retired_at')

    # The lesson editor's columns are dropped above this line.

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_staff_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')
    op.drop_table('worker_heartbeat')
    op.drop_table('staff')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_ip_address'))
        batch_op.drop_index(batch_op.f('ix_login_failure_email'))
        batch_op.drop_index(batch_op.f('ix_login_failure_at'))

    op.drop_table('login_failure')
