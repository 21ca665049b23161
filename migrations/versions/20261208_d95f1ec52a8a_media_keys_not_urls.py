"""media keys, not URLs: media URLs are built when served, so they follow the base URLs

Uploads and preview cards already had their storage keys: their URL columns go. Template
images the seed stored as absolute URLs into our own media become keys; URLs elsewhere (an
admin's CDN) stay as they are. The downgrade writes URLs under the current base again.

Revision ID: d95f1ec52a8a
Revises: 67156af6757f
Create Date: 2026-12-08 04:20:00.000000

"""
import os
import re
from urllib.parse import urlsplit

from alembic import op
import sqlalchemy as sa
from flask import current_app, has_app_context


# revision identifiers, used by Alembic.
revision = 'd95f1ec52a8a'
down_revision = '67156af6757f'
branch_labels = None
depends_on = None

MEDIA_PATH = "/media/"
SEEDED_ARTWORK = re.compile(r"^templates/[a-z0-9-]+/(preview|thumbnail)\.jpg$")
SAFE_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

templates = sa.table(
    'templates',
    sa.column('id', sa.Integer),
    sa.column('preview_url', sa.String(500)),
    sa.column('thumbnail_url', sa.String(500)),
)


def _setting(name):
    value = current_app.config.get(name) if has_app_context() else os.environ.get(name)
    return (value or "").rstrip("/")


def _public_base():
    return _setting("PUBLIC_BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"


def _media_base():
    return _setting("MEDIA_BASE_URL") or _public_base() + MEDIA_PATH.rstrip("/")


def to_key(value):
    """The media key a stored template image URL points at, or the value unchanged."""
    if not value:
        return value
    media_base = _setting("MEDIA_BASE_URL")
    if media_base and value.startswith(media_base + "/"):
        key = value[len(media_base) + 1:]
        return key if SAFE_KEY.match(key) else value
    parts = urlsplit(value)
    if parts.query or parts.fragment or not parts.path.startswith(MEDIA_PATH):
        return value
    key = parts.path[len(MEDIA_PATH):]
    if not SAFE_KEY.match(key):
        return value
    if not parts.scheme and not parts.netloc:
        return key  # a path on this site
    ours = {urlsplit(_public_base()).hostname, *LOCAL_HOSTS}
    # Another host is ours only for the images the seed drew (seeded under the request's host).
    return key if parts.hostname in ours or SEEDED_ARTWORK.match(key) else value


def to_url(value):
    """A stored key as the URL earlier code stored; URLs and site paths unchanged."""
    if not value or "://" in value or value.startswith("/"):
        return value
    return f"{_media_base()}/{value}"


def _convert_templates(convert):
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(templates.c.id, templates.c.preview_url, templates.c.thumbnail_url)
    ).all()
    for template_id, preview_url, thumbnail_url in rows:
        changes = {
            name: convert(value)
            for name, value in (("preview_url", preview_url), ("thumbnail_url", thumbnail_url))
            if convert(value) != value
        }
        if changes:
            connection.execute(
                templates.update().where(templates.c.id == template_id).values(**changes)
            )


def _drop_columns(table, names):
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's own DROP COLUMN (3.35+) rewrites the table in place. Batch mode would
        # rebuild it with DROP TABLE, which under enforced foreign keys deletes every row
        # that refers to it (an invitation's data, links, media, answers...).
        for name in names:
            op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{name}"')
    else:
        for name in names:
            op.drop_column(table, name)


def upgrade():
    _convert_templates(to_key)
    _drop_columns('invitation_media', ['url', 'thumbnail_url'])
    _drop_columns('invitations', ['preview_card_url'])


def downgrade():
    base = _media_base() + "/"
    op.add_column('invitations', sa.Column('preview_card_url', sa.String(length=500), nullable=True))
    op.add_column('invitation_media', sa.Column('url', sa.String(length=500), nullable=True))
    op.add_column(
        'invitation_media', sa.Column('thumbnail_url', sa.String(length=500), nullable=True)
    )

    media = sa.table(
        'invitation_media',
        sa.column('storage_key', sa.String(255)),
        sa.column('thumbnail_key', sa.String(255)),
        sa.column('url', sa.String(500)),
        sa.column('thumbnail_url', sa.String(500)),
    )
    op.execute(media.update().values(url=sa.literal(base) + media.c.storage_key))
    op.execute(
        media.update()
        .where(media.c.thumbnail_key.is_not(None))
        .values(thumbnail_url=sa.literal(base) + media.c.thumbnail_key)
    )
    invitations = sa.table(
        'invitations',
        sa.column('preview_card_key', sa.String(255)),
        sa.column('preview_card_url', sa.String(500)),
    )
    op.execute(
        invitations.update()
        .where(invitations.c.preview_card_key.is_not(None))
        .values(preview_card_url=sa.literal(base) + invitations.c.preview_card_key)
    )
    if op.get_bind().dialect.name != "sqlite":
        # On SQLite it stays nullable: tightening it would rebuild the table (see above).
        op.alter_column(
            'invitation_media', 'url', existing_type=sa.String(length=500), nullable=False
        )
    _convert_templates(to_url)
