"""One migration chain builds the models' schema on SQLite and MariaDB, and tears it down."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text

from app import create_app
from extensions import db
from models.invitation import Invitation
from models.invitation_media import InvitationMedia
from models.invitation_url import InvitationUrl
from models.template import Template
from models.types import compare_column_types
from tests import factories
from tests.dbutil import fresh_database, server_url

# The revision that makes SQLite's id tables AUTOINCREMENT, and the one before it.
AUTOINCREMENT = "6a2584fee7fd"
BEFORE_AUTOINCREMENT = "f1a7e0000001"


def _schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": compare_column_types}
        )
        return compare_metadata(context, db.metadata)


def test_upgraded_schema_matches_the_models(app):
    assert _schema_differences() == []


def test_chain_downgrades_to_empty_and_upgrades_again():
    with fresh_database("migrations") as url:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            assert "invitation_data" in inspect(db.engine).get_table_names()

            downgrade(revision="base")
            assert inspect(db.engine).get_table_names() == ["alembic_version"]

            upgrade()
            assert _schema_differences() == []
            db.engine.dispose()


MEDIA_KEYS_PARENT = "67156af6757f"
BASE = "https://invitaciones.example"
# Template images as stored before media keys, and the key (or unchanged value) each becomes.
TEMPLATE_IMAGES = {
    f"{BASE}/media/uploads/fondo.png": "uploads/fondo.png",
    "http://10.0.0.5:8000/media/templates/boda/preview.jpg": "templates/boda/preview.jpg",
    "http://127.0.0.1:5000/media/cards/otro.jpg": "cards/otro.jpg",
    "/media/templates/boda/thumbnail.jpg": "templates/boda/thumbnail.jpg",
    "https://fotos.example.pe/media/jardin.jpg": "https://fotos.example.pe/media/jardin.jpg",
    f"{BASE}/media/../secreto.jpg": f"{BASE}/media/../secreto.jpg",
    "/previews/boda": "/previews/boda",
}


def test_the_media_keys_migration_turns_our_urls_into_keys_and_back():
    with fresh_database("media-keys") as url:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": BASE})
        with app.app_context():
            upgrade()
            invitation = factories.invitation(preview_card_key="cards/7-abc.jpg")
            db.session.add(
                InvitationMedia(
                    invitation_id=invitation.id,
                    media_type="photo",
                    storage_key="uploads/a.jpg",
                    thumbnail_key="uploads/a-t.jpg",
                    mime_type="image/jpeg",
                    size_bytes=10,
                    sha256="0" * 64,
                )
            )
            seeded = factories.template(preview_url="templates/seeded/preview.jpg")
            old_urls = [factories.template(preview_url=value).id for value in TEMPLATE_IMAGES]
            seeded_id = seeded.id
            db.session.remove()

            downgrade(revision=MEDIA_KEYS_PARENT)
            with db.engine.connect() as connection:
                media = connection.execute(
                    text("SELECT url, thumbnail_url FROM invitation_media")
                ).one()
                card = connection.scalar(text("SELECT preview_card_url FROM invitations"))
                restored = connection.scalar(
                    text("SELECT preview_url FROM templates WHERE id = :id"), {"id": seeded_id}
                )
            assert tuple(media) == (f"{BASE}/media/uploads/a.jpg", f"{BASE}/media/uploads/a-t.jpg")
            assert card == f"{BASE}/media/cards/7-abc.jpg"
            assert restored == f"{BASE}/media/templates/seeded/preview.jpg"

            upgrade()
            assert _schema_differences() == []
            stored = {
                template.id: template.preview_url
                for template in db.session.scalars(select(Template))
            }
            assert stored[seeded_id] == "templates/seeded/preview.jpg"
            assert [stored[row_id] for row_id in old_urls] == list(TEMPLATE_IMAGES.values())
            media_row = db.session.scalars(select(InvitationMedia)).one()
            assert media_row.url == f"{BASE}/media/uploads/a.jpg"
            db.session.remove()
            db.engine.dispose()


def _sqlite_table_sql() -> dict[str, str]:
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type='table'")
        return dict(rows.all())


@pytest.mark.skipif(
    server_url() is not None, reason="AUTOINCREMENT is SQLite's; MariaDB never reuses ids"
)
def test_every_table_with_an_integer_id_is_autoincrement_on_sqlite(app):
    """Also after later migrations: SQLite reflection does not report AUTOINCREMENT, so a
    batch rebuild needs table_kwargs={"sqlite_autoincrement": True} to keep it."""
    tables = _sqlite_table_sql()
    id_tables = [
        table.name for table in db.metadata.sorted_tables if table.autoincrement_column is not None
    ]

    assert len(id_tables) >= 22
    assert [name for name in id_tables if "AUTOINCREMENT" not in tables[name]] == []


def test_the_id_of_a_deleted_row_is_never_given_again(make):
    first = make.invitation()
    second = make.invitation(user=first.user, template=first.template)
    erased_id = second.id
    db.session.delete(second)
    db.session.commit()

    third = make.invitation(user=first.user, template=first.template)

    assert third.id > erased_id


@pytest.mark.skipif(server_url() is not None, reason="the rebuild is SQLite's only")
def test_the_autoincrement_rebuild_keeps_rows_children_and_indexes_both_ways():
    with fresh_database("autoincrement") as url:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision=BEFORE_AUTOINCREMENT)
            invitation = factories.invitation()
            db.session.add(InvitationUrl(invitation_id=invitation.id, kind="main", code="abc123"))
            doomed = factories.invitation(user=invitation.user, template=invitation.template)
            doomed_id = doomed.id
            owner = {"user_id": invitation.user_id, "template_id": invitation.template_id}
            db.session.commit()
            before = _row_counts()
            indexes = _sqlite_indexes()

            upgrade(revision=AUTOINCREMENT)
            db.session.remove()

            assert _row_counts() == before
            assert _sqlite_indexes() == indexes
            assert "AUTOINCREMENT" in _sqlite_table_sql()["invitations"]
            db.session.delete(db.session.get(Invitation, doomed_id))
            db.session.commit()
            newest = Invitation(**owner)
            db.session.add(newest)
            db.session.commit()
            assert newest.id > doomed_id
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

            downgrade(revision=BEFORE_AUTOINCREMENT)
            db.session.remove()

            assert "AUTOINCREMENT" not in _sqlite_table_sql()["invitations"]
            assert _row_counts()["invitation_urls"] == 1
            assert _sqlite_indexes() == indexes
            db.engine.dispose()


def _row_counts() -> dict[str, int]:
    """Rows per table the database has now (tables of later revisions are not there yet)."""
    with db.engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar()
            for table in db.metadata.sorted_tables
            if table.name in present and table.name != "retired_link_codes"
        }


def _sqlite_indexes() -> list[tuple[str, str]]:
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
        )
        return sorted(rows.all())
