"""retired link codes, and ids never reused on SQLite

An erased invitation's link codes are kept as tombstones, so they are never given to another
invitation. SQLite tables with an integer id become AUTOINCREMENT, so a deleted row's id is
never given to a new one (MariaDB never reuses ids: nothing to do there).

Revision ID: 6a2584fee7fd
Revises: f1a7e0000001
Create Date: 2026-12-08 04:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.types


# revision identifiers, used by Alembic.
revision = '6a2584fee7fd'
down_revision = 'f1a7e0000001'
branch_labels = None
depends_on = None

# Every table with an integer id at this revision, parents before children.
ID_TABLES = (
    'coupons', 'idempotency_keys', 'plans', 'templates', 'users', 'audit_logs', 'orders',
    'password_reset_tokens', 'revoked_tokens', 'testimonials', 'claims', 'coupon_usages',
    'invitations', 'order_events', 'payment_transactions', 'invitation_events',
    'invitation_media', 'invitation_urls', 'order_items', 'invitation_data',
    'invitation_responses', 'invitation_response_changes',
)  # fmt: skip


def upgrade():
    op.create_table('retired_link_codes',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('retired_at', models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_retired_link_codes'))
    )
    _rebuild_on_sqlite(autoincrement=True)


def downgrade():
    _rebuild_on_sqlite(autoincrement=False)
    op.drop_table('retired_link_codes')


def _rebuild_on_sqlite(*, autoincrement: bool) -> None:
    """Rebuild each table (batch mode copies rows, indexes and constraints) with or without
    AUTOINCREMENT; SQLite sets each table's sequence to its largest id as the rows are
    copied."""
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        return
    # Dropping the old table with foreign keys on would delete its rows first, cascading
    # to every child table: migrations/env.py turns them off for the run.
    if connection.exec_driver_sql('PRAGMA foreign_keys').scalar():
        raise RuntimeError('SQLite foreign keys must be off to rebuild tables')
    for table in ID_TABLES:
        with op.batch_alter_table(
            table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
        ):
            pass
