"""The public page cache is never stale: two app instances (workers, hosts) share one
database — and Redis when it is configured — and an edit on one shows at once on the other."""

import io
import time
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import event

from extensions import db
from tests.factories import DEFAULT_PASSWORD
from tests.guest_fixtures import add_media, edit_data, guest_link, page, published_invitation, rsvp
from utils.page_cache import CachedPage, LocalPageCache, RedisPageCache, Versions


@contextmanager
def statements_of(app):
    """SQL statements `app` runs inside the block."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture(params=["in-process", "redis"])
def two_instances(request, new_app):
    """Two app instances configured alike: in-process caches, or one shared Redis."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        settings = {"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix}
    else:
        settings = {}
    return request.param, new_app(**settings), new_app(**settings)


@pytest.fixture
def published(client, headers):
    return published_invitation(client, headers)


def test_an_edit_on_one_instance_shows_at_once_on_the_other(two_instances, headers, published):
    mode, first, second = two_instances
    reader, writer = first.test_client(), second.test_client()
    code = published["main_code"]
    assert page(reader, code).get_json()["data"]["subtitle"] is None
    with statements_of(first) as statements:
        assert page(reader, code).status_code == 200
    assert len(statements) == (0 if mode == "redis" else 1)  # served from the cache

    edit_data(writer, headers, published["id"], subtitle="¡Nos casamos!")

    assert page(reader, code).get_json()["data"]["subtitle"] == "¡Nos casamos!"


def test_unpublishing_on_one_instance_removes_the_page_on_the_other(
    two_instances, headers, published
):
    _mode, first, second = two_instances
    reader = first.test_client()
    code = published["main_code"]
    assert page(reader, code).status_code == 200

    second.test_client().post(f"/api/invitations/{published['id']}/unpublish", headers=headers)

    assert page(reader, code).status_code == 404


def test_a_deleted_invitation_leaves_no_cached_page(two_instances, headers, published):
    _mode, first, second = two_instances
    reader = first.test_client()
    code = published["main_code"]
    page(reader, code)

    second.test_client().delete(f"/api/invitations/{published['id']}", headers=headers)

    assert page(reader, code).status_code == 404


def test_an_erased_accounts_invitation_leaves_no_cached_page(two_instances, headers, published):
    _mode, first, second = two_instances
    reader = first.test_client()
    code = published["main_code"]
    page(reader, code)

    erased = second.test_client().delete(
        "/api/users/me", headers=headers, json={"password": DEFAULT_PASSWORD}
    )

    assert erased.status_code == 204
    assert page(reader, code).status_code == 404


def test_an_answer_through_a_guest_link_shows_on_every_instance(two_instances, published):
    _mode, first, second = two_instances
    reader = first.test_client()
    code = guest_link(published["id"], max_guests=2).code
    assert page(reader, code).get_json()["guest"]["response"] is None

    assert rsvp(second.test_client(), code, number_of_guests=2).status_code == 201

    assert page(reader, code).get_json()["guest"]["response"]["number_of_guests"] == 2


def test_a_media_change_shows_at_once(two_instances, headers, published, media_root):
    from tests.media_files import jpeg

    _mode, first, second = two_instances
    reader = first.test_client()
    code = published["main_code"]
    assert page(reader, code).get_json()["media"] == []

    upload = second.test_client().post(
        f"/api/editor/{published['id']}/media",
        data={"file": (io.BytesIO(jpeg()), "foto.jpg"), "media_type": "cover"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()

    assert [item["id"] for item in page(reader, code).get_json()["media"]] == [
        upload.get_json()["id"]
    ]


def test_an_older_build_stored_late_is_never_served(redis_url, redis_prefix):
    """A reader that loaded version 1 and stores it after version 2 was published."""
    cache = RedisPageCache(redis.Redis.from_url(redis_url), 60, redis_prefix)
    later = time.time() + 60
    cache.publish("invitation", {7: 2})
    cache.put("abc", Versions(7, 1, 9, 1), CachedPage(b"old", "e1", later))
    assert cache.get("abc", lambda: None) is None

    cache.put("abc", Versions(7, 2, 9, 1), CachedPage(b"new", "e2", later))
    assert cache.get("abc", lambda: None).body == b"new"

    cache.publish("link", {9: 2})
    assert cache.get("abc", lambda: None) is None


def test_versions_never_move_back(redis_url, redis_prefix):
    cache = RedisPageCache(redis.Redis.from_url(redis_url), 60, redis_prefix)
    cache.publish("invitation", {7: 5})
    cache.publish("invitation", {7: 3})
    cache.put("abc", Versions(7, 3, 9, 1), CachedPage(b"old", "e", time.time() + 60))
    assert cache.get("abc", lambda: None) is None


def test_a_page_past_its_validity_is_a_miss():
    cache = LocalPageCache(60, 10)
    versions = Versions(1, 1, 1, 1)
    cache.put("abc", versions, CachedPage(b"x", "e", time.time() - 1))
    assert cache.get("abc", lambda: versions) is None


def test_the_in_process_cache_keeps_a_bounded_number_of_pages():
    cache = LocalPageCache(60, 2)
    versions = Versions(1, 1, 1, 1)
    for code in ("aaa", "bbb", "ccc"):
        cache.put(code, versions, CachedPage(code.encode(), "e", time.time() + 60))
    assert cache.get("aaa", lambda: versions) is None
    assert cache.get("ccc", lambda: versions).body == b"ccc"


def test_with_redis_down_the_page_is_built_from_the_database(new_app, published):
    app = new_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = page(app.test_client(), published["main_code"])
    assert response.status_code == 200
    assert response.get_json()["code"] == published["main_code"]


def test_with_the_cache_off_every_request_builds_the_page(new_app, published):
    app = new_app(PUBLIC_CACHE_TTL_SECONDS=0)
    reader = app.test_client()
    page(reader, published["main_code"])
    with statements_of(app) as statements:
        assert page(reader, published["main_code"]).status_code == 200
    assert 1 < len(statements) <= 3


def test_photos_added_behind_the_apps_back_wait_for_the_next_version(client, published):
    """Only writes that bump a version change the page: rows slipped in directly do not."""
    page(client, published["main_code"])
    add_media(published["id"], 1, "cover")
    assert page(client, published["main_code"]).get_json()["media"] == []
