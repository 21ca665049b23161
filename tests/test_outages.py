"""The database or Redis cut off for two seconds under light load, through a TCP proxy the
test controls: the app answers only as designed meanwhile, comes back on its own, and
leaves no half-written rows (docs/operations.md, "Operations")."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import redis
import requests
from sqlalchemy import select
from sqlalchemy.engine import make_url

from extensions import db
from models.invitation_response import InvitationResponse
from models.invitation_response_change import InvitationResponseChange
from models.user import User
from tests.app_processes import wait_for
from tests.factories import DEFAULT_PASSWORD
from tests.guest_fixtures import published_invitation
from tests.tcp_proxy import TcpProxy

# Many seconds long: started first, so both xdist workers finish together (conftest).
pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 2.0
# The app must answer normally again this soon after the network is back.
RECOVERY_SECONDS = 5.0
# No request may hang: a dead dependency is answered in well under this.
SLOWEST_SECONDS = 3.0
PAUSE_SECONDS = 0.02


@dataclass(frozen=True)
class Outcome:
    kind: str
    key: str
    started: float
    seconds: float
    status: int | None = None
    body: dict | None = None
    error: str | None = None


class Load:
    """A thread per kind of request, each sending one after another until stopped."""

    def __init__(self, jobs: dict[str, Callable[[str], requests.Response]]):
        self.jobs = jobs
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(kind, job), daemon=True)
            for kind, job in jobs.items()
        ]

    def _run(self, kind: str, job) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            key = f"{kind}-{n}"
            started = time.monotonic()
            try:
                response = job(key)
                outcome = Outcome(kind, key, started, time.monotonic() - started,
                                  response.status_code, _json(response))  # fmt: skip
            except requests.RequestException as error:
                outcome = Outcome(kind, key, started, time.monotonic() - started, error=repr(error))
            with self._lock:
                self.outcomes.append(outcome)
            time.sleep(PAUSE_SECONDS)

    def succeeded_since(self, moment: float, success: dict[str, int]) -> bool:
        with self._lock:
            since = [o for o in self.outcomes if o.started >= moment]
        return {o.kind for o in since if o.status == success[o.kind]} == set(self.jobs)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


def _json(response: requests.Response) -> dict | None:
    try:
        return response.json()
    except ValueError:
        return None


def through_an_outage(proxy: TcpProxy, jobs: dict, success: dict[str, int]):
    """Run `jobs` as a light load: a second of normal traffic, the proxy cut for
    OUTAGE_SECONDS, then until every kind has succeeded again (or RECOVERY_SECONDS passed)."""
    with Load(jobs) as load:
        time.sleep(1.0)
        cut_at = time.monotonic()
        proxy.cut()
        time.sleep(OUTAGE_SECONDS)
        proxy.restore()
        restored_at = time.monotonic()
        wait_for(lambda: load.succeeded_since(restored_at, success), RECOVERY_SECONDS)
        time.sleep(0.5)
    return load.outcomes, cut_at, restored_at


def check_answers(outcomes: list[Outcome], success: dict[str, int], restored_at: float) -> None:
    """Every answer the normal success or 503 JSON; none late; normal again after recovery."""
    assert [o for o in outcomes if o.error] == [], "connection errors: the app went away"
    unexpected = [o for o in outcomes if o.status not in (success[o.kind], 503)]
    assert unexpected == []
    # /health's 503 is its report of the checks (asserted by the test); any other is an error.
    errors = {
        (o.body or {}).get("error") for o in outcomes if o.status == 503 and o.kind != "health"
    }
    assert errors <= {"service_unavailable"}
    assert max(o.seconds for o in outcomes) < SLOWEST_SECONDS
    for kind, status in success.items():
        recovered = [o.started for o in outcomes if o.kind == kind and o.started >= restored_at
                     and o.status == status]  # fmt: skip
        assert recovered, f"{kind} never succeeded again after the outage"
        assert recovered[0] - restored_at < RECOVERY_SECONDS
        relapses = [o for o in outcomes if o.kind == kind and o.started > recovered[0]
                    and o.status != status]  # fmt: skip
        assert relapses == []


def guest_answer(key: str) -> dict:
    return {"guest_name": key, "status": "confirmed", "number_of_guests": 1}


# --- the database -----------------------------------------------------------------------------


@pytest.fixture
def database_behind_proxy(database_url):
    """(proxy, the run's database URL through it). MariaDB only: SQLite has no connection."""
    url = make_url(database_url)
    if url.get_backend_name() not in ("mysql", "mariadb"):
        pytest.skip("cuts a database server's connections: needs MariaDB (TEST_DATABASE_URL)")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 3306)
    # A connection that gets no answer gives up in seconds, not PyMySQL's unlimited wait.
    timeouts = {"connect_timeout": "2", "read_timeout": "5", "write_timeout": "5"}
    proxied = url.set(host="127.0.0.1", port=proxy.port, query={**url.query, **timeouts})
    yield proxy, proxied.render_as_string(hide_password=False)
    proxy.close()


def test_a_database_outage_is_503_json_then_heals_and_leaves_no_half_written_rows(
    database_behind_proxy, app_processes, client, headers, make, auth_headers
):
    proxy, proxied_url = database_behind_proxy
    invitation = published_invitation(client, headers)
    rsvp_path = f"/api/public/invitations/{invitation['main_code']}/rsvp"
    page_path = f"/api/public/invitations/{invitation['main_code']}"
    signed_in = auth_headers(make.user())
    (app,) = app_processes(1, SQLALCHEMY_DATABASE_URI=proxied_url)
    jobs = {
        "rsvp": lambda key: app.post(rsvp_path, json=guest_answer(key)),
        "register": lambda key: app.post("/api/auth/register", json=registration(key)),
        "page": lambda _key: app.get(page_path),
        "me": lambda _key: app.get("/api/auth/me", headers=signed_in),
    }
    success = {"rsvp": 201, "register": 201, "page": 200, "me": 200}

    outcomes, _cut_at, restored_at = through_an_outage(proxy, jobs, success)

    check_answers(outcomes, success, restored_at)
    assert any(o.status == 503 for o in outcomes), "the outage was never felt"
    # A 503 may still have been stored: the commit reached the server but its answer, or the
    # response built after it, did not come back. Sending it again settles it: the guest's
    # answer is kept once, the address is registered once.
    for outcome in outcomes:
        if outcome.status == 503 and outcome.kind == "rsvp":
            assert app.post(rsvp_path, json=guest_answer(outcome.key)).status_code in (200, 201)
        elif outcome.status == 503 and outcome.kind == "register":
            again = app.post("/api/auth/register", json=registration(outcome.key))
            assert again.status_code in (201, 409)
    db.session.rollback()
    answers = db.session.execute(select(InvitationResponse.guest_name, InvitationResponse.id))
    answered: dict[str, list[int]] = {}
    for name, response_id in answers:
        answered.setdefault(name, []).append(response_id)
    changed = set(db.session.scalars(select(InvitationResponseChange.response_id)))
    emails = set(db.session.scalars(select(User.email)))
    sent = {o.key for o in outcomes if o.kind == "rsvp" and o.status in (201, 503)}
    assert sorted(answered) == sorted(sent), "every answer acknowledged or retried is kept"
    assert all(len(ids) == 1 for ids in answered.values()), "and kept once"
    registered = {o.key for o in outcomes if o.kind == "register" and o.status in (201, 503)}
    assert {f"{key}@example.com" for key in registered} <= emails
    # Each answer stored with its history row: none half written.
    assert {ids[0] for ids in answered.values()} <= changed


def registration(key: str) -> dict:
    return {
        "email": f"{key}@example.com",
        "password": DEFAULT_PASSWORD,
        "first_name": "Ana",
        "last_name": "Quispe",
    }


# --- Redis ------------------------------------------------------------------------------------


def test_a_redis_outage_degrades_as_designed_and_heals_on_its_own(
    redis_url, redis_prefix, app_processes, client, headers, make, auth_headers
):
    target = make_url(redis_url)
    proxy = TcpProxy(target.host, target.port)
    try:
        proxied_url = f"redis://127.0.0.1:{proxy.port}/0"
        invitation = published_invitation(client, headers)
        code = invitation["main_code"]
        signed_in = auth_headers(make.user())
        (app,) = app_processes(
            1,
            REDIS_URL=proxied_url,
            RATELIMIT_STORAGE_URI=proxied_url,
            REDIS_KEY_PREFIX=redis_prefix,
            RATELIMIT_ENABLED=True,
            RATELIMIT_RSVP="100000 per hour",
            RATELIMIT_DEFAULT="100000 per minute",
        )
        jobs = {
            "rsvp": lambda key: app.post(
                f"/api/public/invitations/{code}/rsvp", json=guest_answer(key)
            ),
            "page": lambda _key: app.get(f"/api/public/invitations/{code}"),
            "me": lambda _key: app.get("/api/auth/me", headers=signed_in),
            "health": lambda _key: app.get("/health"),
        }
        # Designed: pages built from the database, limits counted in memory, signed-in
        # requests going on; only /health says 503, naming redis.
        success = {"rsvp": 201, "page": 200, "me": 200, "health": 200}

        outcomes, cut_at, restored_at = through_an_outage(proxy, jobs, success)

        check_answers(outcomes, success, restored_at)
        assert {o.kind for o in outcomes if o.status == 503} == {"health"}
        assert {o.body["checks"]["redis"] for o in outcomes if o.status == 503} == {"error"}
        assert any(cut_at < o.started < restored_at and o.status == 503 for o in outcomes)
        rsvp_count = sum(1 for o in outcomes if o.kind == "rsvp")
        assert rsvp_count == sum(1 for o in outcomes if o.kind == "rsvp" and o.status == 201)

        # Back on Redis by itself: pages served from it, limits counted in it again.
        hits = app.metric("public_page_cache_total", outcome="hit")
        app.get(f"/api/public/invitations/{code}")
        assert app.metric("public_page_cache_total", outcome="hit") == hits + 1
        direct = redis.Redis.from_url(redis_url)
        try:
            assert wait_for(lambda: _limits_count_in_redis(app, code, direct, redis_prefix), 10)
        finally:
            direct.close()
    finally:
        proxy.close()


def _limits_count_in_redis(app, code: str, direct: redis.Redis, prefix: str) -> bool:
    """True once an RSVP moves the RSVP limit's counter in Redis."""

    def counted() -> int:
        keys = [key for key in direct.scan_iter(f"*{prefix}*rsvp*")]
        return sum(int(direct.get(key) or 0) for key in keys)

    before = counted()
    app.post(f"/api/public/invitations/{code}/rsvp", json=guest_answer(f"late-{time.time()}"))
    return counted() > before
