"""Fresh throw-away databases for a test run: a SQLite file, or a new MariaDB schema."""

import contextlib
import os
import secrets
import tempfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

CONNECT_TIMEOUT_SECONDS = 5


def server_url() -> str | None:
    """The MySQL/MariaDB server the suite runs against, when TEST_DATABASE_URL names one."""
    url = os.environ.get("TEST_DATABASE_URL")
    return url if url and url.startswith("mysql") else None


def unreachable_server() -> str | None:
    """One line saying why TEST_DATABASE_URL's server cannot be used; None when it answers."""
    base = server_url()
    if base is None:
        return None
    url = make_url(base)
    engine = create_engine(
        url.set(query={"charset": "utf8mb4"}),
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    try:
        engine.connect().close()
    except DBAPIError as error:
        reason = " ".join(str(error.orig).split())
        return (
            f"MariaDB at {url.host}:{url.port or 3306} (TEST_DATABASE_URL) is unreachable: {reason}"
        )
    finally:
        engine.dispose()
    return None


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
