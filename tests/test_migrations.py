"""One migration chain builds the models' schema on SQLite and MariaDB, and tears it down."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from extensions import db
from models.types import compare_column_types
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
