"""editor fields: WhatsApp message, owner RSVP notices, music duration and bitrate

Revision ID: b9f2d1e00002
Revises: a8e1c0de0001
Create Date: 2026-12-02 12:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9f2d1e00002'
down_revision = 'a8e1c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation_data') as batch_op:
        batch_op.add_column(sa.Column('whatsapp_message', sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column('rsvp_notify_owner', sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table('invitation_media') as batch_op:
        batch_op.add_column(
            sa.Column('duration_seconds', sa.Numeric(precision=8, scale=2), nullable=True)
        )
        batch_op.add_column(sa.Column('bitrate', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('invitation_media') as batch_op:
        batch_op.drop_column('bitrate')
        batch_op.drop_column('duration_seconds')
    with op.batch_alter_table('invitation_data') as batch_op:
        batch_op.drop_column('rsvp_notify_owner')
        batch_op.drop_column('whatsapp_message')
