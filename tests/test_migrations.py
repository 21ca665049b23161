"""One migration chain builds the models' schema on SQLite and MariaDB, and tears it down."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from app import create_app
from extensions import db
from models.invitation_media import InvitationMedia
from models.template import Template
from models.types import compare_column_types
from tests import factories
from tests.dbutil import fresh_database


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
