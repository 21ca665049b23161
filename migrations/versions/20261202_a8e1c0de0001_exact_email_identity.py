"""exact e-mail identity

Revision ID: a8e1c0de0001
Revises: 46ffbe827788
Create Date: 2026-12-02 08:00:00.000000

`users.email` compared byte for byte on MySQL/MariaDB (utf8mb4_bin), as SQLite already does:
under utf8mb4_unicode_ci `jóse@x.pe` equalled `jose@x.pe`. E-mails are stored lower-cased, so
case still never makes two accounts.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = 'a8e1c0de0001'
down_revision = '46ffbe827788'
branch_labels = None
depends_on = None


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ('mysql', 'mariadb')


def upgrade():
    if _is_mysql():
        op.alter_column(
            'users',
            'email',
            existing_type=sa.String(length=255),
            type_=mysql.VARCHAR(length=255, charset='utf8mb4', collation='utf8mb4_bin'),
            existing_nullable=False,
        )


def downgrade():
    # Back to the table's default collation. Fails with a duplicate-key error while two
    # accounts differ only by accents: merge or rename one of them first.
    if _is_mysql():
        op.alter_column(
            'users',
            'email',
            existing_type=mysql.VARCHAR(length=255, charset='utf8mb4', collation='utf8mb4_bin'),
            type_=sa.String(length=255),
            existing_nullable=False,
        )
