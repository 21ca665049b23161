"""Alembic environment: the app's engine and metadata, one chain for SQLite and MySQL."""

from alembic import context
from flask import current_app

from models.types import compare_column_types

config = context.config
database = current_app.extensions["migrate"].db


def run_migrations_offline():
    context.configure(
        url=database.engine.url.render_as_string(hide_password=False),
        target_metadata=database.metadata,
        literal_binds=True,
        compare_type=compare_column_types,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty_revisions(_context, _revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by copying it and dropping the old one; with foreign
            # keys on, SQLite would first delete the old rows and cascade to every child table.
            # The pragma is ignored inside a transaction: set before the first migration.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # else Alembic takes the open transaction as the caller's
        context.configure(
            connection=connection,
            target_metadata=database.metadata,
            compare_type=compare_column_types,
            # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
            render_as_batch=sqlite,
            process_revision_directives=skip_empty_revisions,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            _foreign_keys_back_on(connection)


def _foreign_keys_back_on(connection):
    """Foreign keys on again for the pooled connection, and checked: a migration that
    left a row pointing nowhere fails loudly."""
    connection.commit()
    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    connection.commit()
    if broken:
        raise RuntimeError(f"Rows pointing at missing rows after the migrations: {broken[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
