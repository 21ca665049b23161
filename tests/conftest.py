"""Fixtures: one app per run on a fresh database built by the migrations; rows wiped per test."""

import contextvars
import os
import secrets

import pytest
import redis
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from extensions import db
from tests import factories
from tests.dbutil import fresh_database, unreachable_server

# Real local servers the tests talk to (a gateway speaking Izipay's protocol, SMTP, Redis),
# the fixtures of the payment tests built on them, the app served by processes of its own, and
# a Celery worker for the background jobs.
pytest_plugins = [
    "tests.izipay_server",
    "tests.smtp_server",
    "tests.servers",
    "tests.ftps_server",
    "tests.payment_fixtures",
    "tests.app_processes",
    "tests.job_fixtures",
]


def pytest_sessionstart(session):
    """A database server that does not answer ends the run in one line, before any test (and
    before xdist starts its workers) instead of one traceback per test."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    problem = unreachable_server()
    if problem:
        raise pytest.UsageError(problem)


def pytest_collection_modifyitems(items):
    """The slow tests first: under xdist a long test handed out last would run alone on one
    worker while the other sits idle, making the suite that much longer."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def database_url():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with fresh_database(worker) as url:
        yield url


class IsolatedClient(FlaskClient):
    """Serves each request in a fresh context, as production does.

    Flask reuses an app context that is already pushed (the test's own), which
    would share `g` and the database session between the test and the request.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        # End the test's own transaction, so it sees what the request committed (MySQL's
        # REPEATABLE READ would otherwise keep showing the test its older snapshot).
        if has_app_context():
            db.session.rollback()
        return response


@pytest.fixture(scope="session")
def session_media_root(tmp_path_factory):
    """Where files land for tests that do not ask for their own `media_root` (preview cards
    drawn on publish, for one): never the checkout's instance/ folder."""
    return str(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="session")
def app(database_url, session_media_root):
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_ROOT": session_media_root}
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def app_context(app):
    """Each test runs in its own app context and leaves every table empty."""
    with app.app_context():
        yield
        db.session.remove()
        _delete_all_rows()


def _delete_all_rows():
    with db.engine.begin() as connection:
        is_mysql = connection.dialect.name in ("mysql", "mariadb")
        if is_mysql:
            connection.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if is_mysql:
            connection.execute(text("SET FOREIGN_KEY_CHECKS = 1"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app_context):
    """Factories bound to the database, e.g. `make.plan(price=...)`."""
    return factories


@pytest.fixture
def owner(make):
    """A customer who owns what the test builds."""
    return make.user()


@pytest.fixture
def headers(owner, auth_headers):
    """The owner's Authorization header."""
    return auth_headers(owner)


@pytest.fixture
def media_root(app, tmp_path, monkeypatch):
    """An empty MEDIA_ROOT of the test's own (local storage)."""
    root = tmp_path / "media"
    root.mkdir()
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    return root


@pytest.fixture
def auth_headers(app_context):
    """`auth_headers(user)` -> the Authorization header of a fresh access token for `user`."""
    from services.tokens import issue_token_pair

    def headers_for(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token_pair(user)['access_token']}"}

    return headers_for


@pytest.fixture
def redis_prefix(redis_url):
    """A key namespace of this test's own in the run's Redis, removed afterwards."""
    prefix = f"test-{secrets.token_hex(6)}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def new_app(database_url, session_media_root):
    """Build another app instance on the same database, as another worker or host would be."""

    def build(**overrides):
        settings = {"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_ROOT": session_media_root}
        app = create_app("testing", {**settings, **overrides})
        app.test_client_class = IsolatedClient
        return app

    return build
