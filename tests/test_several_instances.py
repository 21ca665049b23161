"""Two app processes on one database and one Redis, as two hosts behind a load balancer:
what one of them counts, revokes, caches or answers once holds on the other at once."""

import secrets
import threading
from collections import Counter

import pytest
import redis
import requests

from models.idempotency_key import IdempotencyKey
from models.order import Order
from tests.app_processes import REQUEST_TIMEOUT_SECONDS, base_overrides, running_apps
from tests.commerce_fixtures import cart, count, line
from tests.factories import DEFAULT_PASSWORD
from tests.guest_fixtures import published_invitation

# Many seconds long: started first, so both xdist workers finish together (conftest).
pytestmark = pytest.mark.slow

SIMULTANEOUS = 10
PAGE_HITS = "public_page_cache_total"


def _delete_keys(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def shared_prefix(redis_url):
    """The Redis key namespace both processes share (rate limits, page cache)."""
    prefix = f"test-{secrets.token_hex(6)}"
    yield prefix
    _delete_keys(redis_url, prefix)


@pytest.fixture(scope="module")
def instances(database_url, session_media_root, redis_url, shared_prefix):
    """Two app processes alike, started once for the module (each takes seconds to start)."""
    overrides = {
        **base_overrides(database_url, session_media_root),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "REDIS_KEY_PREFIX": shared_prefix,
        "RATELIMIT_ENABLED": True,
        # Every request of the module comes from 127.0.0.1: only the limit under test bites.
        "RATELIMIT_LOGIN_IP": "1000 per minute",
        "RATELIMIT_DEFAULT": "10000 per minute",
    }
    with running_apps(2, overrides) as apps:
        yield apps


@pytest.fixture(autouse=True)
def fresh_shared_state(redis_url, shared_prefix):
    """Each test starts with no counts and no cached pages, as with a prefix of its own."""
    _delete_keys(redis_url, shared_prefix)


def login(app, email, password="equivocada1"):
    return app.post("/api/auth/login", json={"email": email, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_login_attempts_are_counted_across_both_instances(instances, make):
    first, second = instances
    make.user(email="luis@example.com")

    alternating = [login((first, second)[n % 2], "luis@example.com") for n in range(5)]
    sixth = login(second, "luis@example.com")

    # Each process saw at most three attempts; together they reached the limit of five.
    assert [response.status_code for response in alternating] == [401] * 5
    assert sixth.status_code == 429
    assert sixth.json()["error"] == "rate_limited"
    assert int(sixth.headers["Retry-After"]) > 0
    assert login(first, "luis@example.com").status_code == 429


def test_a_logout_on_one_instance_is_refused_on_the_other(instances, make):
    first, second = instances
    make.user(email="rosa@example.com")
    pair = login(first, "rosa@example.com", DEFAULT_PASSWORD).json()
    assert second.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code == 200

    logout = first.post(
        "/api/auth/logout",
        headers=bearer(pair["access_token"]),
        json={"refresh_token": pair["refresh_token"]},
    )

    assert logout.status_code == 200
    me = second.get("/api/auth/me", headers=bearer(pair["access_token"]))
    refreshed = second.post("/api/auth/refresh", headers=bearer(pair["refresh_token"]))
    assert (me.status_code, me.json()["error"]) == (401, "token_revoked")
    assert (refreshed.status_code, refreshed.json()["error"]) == (401, "token_revoked")


def test_a_password_change_on_one_instance_ends_older_tokens_on_the_other(instances, make):
    first, second = instances
    make.user(email="ana@example.com")
    old = login(second, "ana@example.com", DEFAULT_PASSWORD).json()

    changed = first.post(
        "/api/auth/change-password",
        headers=bearer(old["access_token"]),
        json={"current_password": DEFAULT_PASSWORD, "new_password": "nueva-clave-9"},
    )

    assert changed.status_code == 200
    refused = second.get("/api/auth/me", headers=bearer(old["access_token"]))
    assert (refused.status_code, refused.json()["error"]) == (401, "token_revoked")
    assert second.post("/api/auth/refresh", headers=bearer(old["refresh_token"])).status_code == 401
    new = bearer(changed.json()["access_token"])
    assert second.get("/api/auth/me", headers=new).json()["user"]["email"] == "ana@example.com"


def test_a_page_cached_by_one_instance_shows_an_edit_made_on_the_other_at_once(
    instances, client, headers
):
    first, second = instances
    invitation = published_invitation(client, headers)
    path = f"/api/public/invitations/{invitation['main_code']}"
    assert first.get(path).json()["data"]["subtitle"] is None  # built, stored in Redis
    hits = second.metric(PAGE_HITS, outcome="hit")
    assert second.get(path).json()["data"]["subtitle"] is None
    assert second.metric(PAGE_HITS, outcome="hit") == hits + 1  # the first one's page

    edited = first.patch(
        f"/api/editor/{invitation['id']}/data", json={"subtitle": "¡Nos casamos!"}, headers=headers
    )

    assert edited.status_code == 200
    assert second.get(path).json()["data"]["subtitle"] == "¡Nos casamos!"
    assert second.get(path).json()["data"]["subtitle"] == "¡Nos casamos!"  # cached anew
    unpublished = first.post(f"/api/invitations/{invitation['id']}/unpublish", headers=headers)
    assert unpublished.status_code == 200
    assert second.get(path).status_code == 404


def test_a_checkout_repeated_on_the_other_instance_answers_the_first_order(
    instances, make, auth_headers
):
    first, second = instances
    body = cart(line(make.plan(), make.template()))
    headers = {**auth_headers(make.user()), "Idempotency-Key": "pagar-1"}

    original = first.post("/api/cart/checkout", json=body, headers=headers)
    repeated = second.post("/api/cart/checkout", json=body, headers=headers)

    assert original.status_code == repeated.status_code == 201
    assert repeated.json() == original.json()
    assert repeated.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in original.headers
    assert count(Order) == 1


def test_one_key_sent_to_both_instances_at_once_makes_one_order(instances, make, auth_headers):
    body = cart(line(make.plan(), make.template()))
    headers = {**auth_headers(make.user()), "Idempotency-Key": "doble-toque"}
    barrier = threading.Barrier(SIMULTANEOUS)
    results: list = [None] * SIMULTANEOUS

    def tap(index: int) -> None:
        url = instances[index % 2].url + "/api/cart/checkout"
        barrier.wait()
        try:
            response = requests.post(url, json=body, headers=headers, timeout=30)
            results[index] = (response.status_code, response.json())
        except requests.RequestException as error:
            results[index] = ("exception", repr(error))

    threads = [threading.Thread(target=tap, args=(n,)) for n in range(SIMULTANEOUS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT_SECONDS * 6)

    # The first is created; the others were replayed (201) or found it still running (409).
    outcomes = Counter(status for status, _body in results)
    assert set(outcomes) <= {201, 409}, results
    assert len({answer["order_number"] for status, answer in results if status == 201}) == 1
    assert count(Order) == 1
    assert count(IdempotencyKey) == 1
