"""payment notification dedupe

Revision ID: 46ffbe827788
Revises: de6a9c39c44f
Create Date: 2026-11-28 22:47:22.932204

"""
from alembic import op
import sqlalchemy as sa

import models.types


# revision identifiers, used by Alembic.
revision = '46ffbe827788'
down_revision = 'de6a9c39c44f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_transactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('times_received', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('last_received_at', models.types.UTCDateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_payment_transactions_transaction_uuid_status_kind'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_payment_transactions_transaction_uuid_detailed_status_kind'), ['transaction_uuid', 'detailed_status', 'kind'])



def downgrade():
    with op.batch_alter_table('payment_transactions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payment_transactions_transaction_uuid_detailed_status_kind'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_payment_transactions_transaction_uuid_status_kind'), ['transaction_uuid', 'status', 'kind'])
        batch_op.drop_column('last_received_at')
        batch_op.drop_column('times_received')
        batch_op.drop_column('order_status')

