"""The per-request machinery stays cheap: no COUNT for a short page, rate limits parsed once and
counted without starting threads (docs/benchmarks.md, "Benchmarks")."""

import threading

import flask_limiter._limits
import pytest
from sqlalchemy import event, select

from app import create_app
from extensions import db
from models.template import Template
from utils.pagination import paginate
from utils.rate_limits import LazyMemoryStorage

RATE_LIMITED = {"RATELIMIT_ENABLED": True}


@pytest.fixture
def statements(app):
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def active_templates():
    return select(Template).where(Template.is_active).order_by(Template.id)


@pytest.mark.parametrize(
    "rows, page, per_page, total, statement_count",
    [
        (3, 1, 20, 3, 1),  # first page not full: the rows are the total
        (0, 1, 20, 0, 1),  # nothing at all
        (25, 2, 20, 25, 1),  # last page, short
        (20, 1, 20, 20, 2),  # full page: more may follow, so COUNT
        (25, 1, 20, 25, 2),
        (5, 3, 20, 5, 2),  # past the end: COUNT says how many there are
    ],
)
def test_paginate_counts_only_when_the_page_cannot_tell(
    make, statements, rows, page, per_page, total, statement_count
):
    for _ in range(rows):
        make.template()
    statements.clear()

    result = paginate(active_templates(), page, per_page)

    assert result.total == total
    assert len(statements) == statement_count
    assert sum("count(" in statement.lower() for statement in statements) == statement_count - 1


def test_rate_limited_requests_start_no_threads(database_url, monkeypatch):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **RATE_LIMITED})
    client = app.test_client()
    client.get("/api/plans")
    started = []
    original_start = threading.Thread.start

    def counting_start(thread):
        started.append(thread)
        return original_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    statuses = {client.get("/api/plans").status_code for _ in range(30)}

    assert statuses == {200}
    assert started == []


def test_rate_limits_are_parsed_once_not_per_request(database_url, monkeypatch):
    parsed = []
    original_parse = flask_limiter._limits.parse_many

    def counting_parse(text):
        parsed.append(text)
        return original_parse(text)

    monkeypatch.setattr(flask_limiter._limits, "parse_many", counting_parse)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **RATE_LIMITED})
    client = app.test_client()
    client.get("/api/plans")
    parsed.clear()

    for _ in range(20):
        client.get("/api/plans")

    assert parsed == []


def test_lazy_memory_storage_forgets_a_window_once_it_ends():
    now = [1000.0]
    storage = LazyMemoryStorage(clock=lambda: now[0])

    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert (storage.get("k"), storage.get_expiry("k")) == (3, 1060.0)
    now[0] = 1060.0
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1


def test_lazy_memory_storage_sweeps_keys_nobody_reads_again():
    now = [1000.0]
    storage = LazyMemoryStorage(clock=lambda: now[0])
    for n in range(100):
        storage.incr(f"ip-{n}", 10)

    now[0] += LazyMemoryStorage.SWEEP_SECONDS
    storage.incr("latest", 10)

    assert storage.reset() == 1  # only "latest" was still held
