"""job outbox

Jobs are written in the transaction that queues them and relayed to the broker from there,
so a broker that is down or frozen neither holds a request nor loses a job.

Revision ID: fb96e7716d14
Revises: 6a2584fee7fd
Create Date: 2026-12-08 04:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.types


# revision identifiers, used by Alembic.
revision = 'fb96e7716d14'
down_revision = '6a2584fee7fd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('due_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_outbox')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_outbox_created_at'), ['created_at'], unique=False)


def downgrade():
    # Dropping the table drops its index.
    op.drop_table('job_outbox')
