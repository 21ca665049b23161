"""one invitation title: the editor's data.title mirrors invitations.title

Revision ID: f1a7e0000001
Revises: d95f1ec52a8a
Create Date: 2026-12-08 04:30:00.000000
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f1a7e0000001'
down_revision = 'd95f1ec52a8a'
branch_labels = None
depends_on = None


def upgrade():
    # A title the couple typed in the editor wins over the template's name the draft started with.
    op.execute(
        "UPDATE invitations SET title = ("
        " SELECT d.title FROM invitation_data d WHERE d.invitation_id = invitations.id)"
        " WHERE EXISTS (SELECT 1 FROM invitation_data d WHERE d.invitation_id = invitations.id"
        " AND d.title IS NOT NULL AND d.title <> '')"
    )
    op.execute(
        "UPDATE invitation_data SET title = ("
        " SELECT i.title FROM invitations i WHERE i.id = invitation_data.invitation_id)"
    )


def downgrade():
    # The two columns stay; they simply hold the same value.
    pass
