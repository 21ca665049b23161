"""Fresh throw-away databases for a test run: a SQLite file, or a new MariaDB schema."""

import contextlib
import os
import secrets
import tempfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def server_url() -> str | None:
    """The MySQL/MariaDB server the suite runs against, when TEST_DATABASE_URL names one."""
    url = os.environ.get("TEST_DATABASE_URL")
    return url if url and url.startswith("mysql") else None


@contextlib.contextmanager
def fresh_database(label: str):
    """Yield the URL of an empty database made for this run; drop only that one afterwards."""
    base = server_url()
    if base is None:
        with tempfile.TemporaryDirectory(prefix=f"inv-{label}-") as folder:
            yield f"sqlite:///{os.path.join(folder, 'test.db')}"
        return

    name = f"inv_test_{label}_{secrets.token_hex(4)}"
    url = make_url(base).set(database=name, query={"charset": "utf8mb4"})
    admin = create_engine(make_url(base).set(query={"charset": "utf8mb4"}))
    with admin.connect() as connection:
        connection.execute(
            text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()
