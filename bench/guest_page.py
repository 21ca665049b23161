"""The guest path under load: the public page (cached and not) and RSVPs, against bare Flask.

Run: `make bench` (or `.venv/bin/python -m bench.guest_page`); needs `wrk`. Everything is
served by gunicorn with the repository's gunicorn.conf.py and 4 sync workers, on one
database: MariaDB when BENCH_DATABASE_URL's server answers (default root@127.0.0.1:3306; a
database of the run's own is made and dropped), else a SQLite file. The cached run uses
Redis (BENCH_REDIS_URL, default 127.0.0.1:6379) when it answers, else the in-process cache.

One published invitation holds 10 events, 30 photos, 100 guest links and 500 answers. Three
servers run side by side: the app with the page cache on, the app with it off
(PUBLIC_CACHE_TTL_SECONDS=0), and a bare Flask app with three endpoints (a small JSON; one
SELECT by primary key; one INSERT). Reported: req/s, p50 and p99 of each, and the ratios
cached page / bare JSON, uncached page / bare SELECT, RSVP / bare INSERT (50 concurrent
clients, every answer a new guest), with the rows each write run lost or duplicated.
"""

import os
import secrets
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_overhead import start_gunicorn, stop, wait_until_up, wrk  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
READ_CONNECTIONS = 8
WRITE_CONNECTIONS = 50
TARGETS = {"cached": 0.9, "uncached": 0.6, "rsvp": 0.5}
TARGET_OF = {"guest page, cached": "cached", "guest page, cache off": "uncached",
             "RSVP POST": "rsvp"}  # fmt: skip
EVENTS, PHOTOS, GUEST_LINKS, RESPONSES = 10, 30, 100, 500

# Every request a new guest: `<thread>-<n>`, and the 201s counted per thread.
WRITE_SCRIPT = """
local threads = {}
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  run = args[1] or "run"
  counter = 0
  created = 0
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"guest_name": "Invitado %s-%d-%d", "status": "confirmed", "number_of_guests": 1}',
    run, id, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  if status == 201 then created = created + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("created") end
  io.write(string.format("CREATED %d\\n", total))
end
"""


COUNT_RESPONSES = "SELECT COUNT(*) FROM invitation_responses"
COUNT_ROWS = "SELECT COUNT(*) FROM bench_rows"
SELECT_ONE = text("SELECT id, title, version FROM invitations WHERE id = :id")
INSERT_ONE = text("INSERT INTO bench_rows (name) VALUES (:name)")


def add_baselines(app, engine) -> None:
    """The three yardsticks: a small JSON, one SELECT by primary key, one INSERT."""
    from flask import jsonify, request

    @app.get("/bench/json")
    def small_json():
        return jsonify(status="ok", service="invitaciones")

    @app.get("/bench/select/<int:row_id>")
    def select_by_id(row_id):
        with engine().connect() as connection:
            row = connection.execute(SELECT_ONE, {"id": row_id}).one()
        return jsonify(id=row.id, title=row.title, version=row.version)

    @app.post("/bench/insert")
    def insert():
        name = (request.get_json(silent=True) or {}).get("guest_name", "")
        with engine().begin() as connection:
            connection.execute(INSERT_ONE, {"name": name})
        return jsonify(created=True), 201


def bare_app():
    """Plain Flask on the same database, none of the app's middleware."""
    from flask import Flask

    from config import engine_options

    url = os.environ["DATABASE_URL"]
    engine = create_engine(url, **engine_options(url))
    app = Flask(__name__)
    add_baselines(app, lambda: engine)
    return app


def app_with_baselines():
    """The app with the yardsticks mounted beside its routes: same request hooks, rate
    limiter, metrics and access log, so a ratio measures the endpoint's own cost."""
    from app import create_app
    from extensions import db

    app = create_app()
    add_baselines(app, lambda: db.engine)
    return app


def database_url(folder: Path) -> tuple[str, str | None]:
    """A fresh MariaDB database when the server answers (and its name, to drop), else SQLite."""
    server = os.environ.get("BENCH_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
    try:
        admin = create_engine(make_url(server).set(query={"charset": "utf8mb4"}))
        name = f"inv_bench_{secrets.token_hex(4)}"
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        admin.dispose()
        url = make_url(server).set(database=name, query={"charset": "utf8mb4"})
        return url.render_as_string(hide_password=False), name
    except Exception:  # noqa: BLE001 - no server: the SQLite fallback
        return f"sqlite:///{folder / 'bench.db'}", None


def drop_database(name: str | None) -> None:
    if name is None:
        return
    server = os.environ.get("BENCH_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
    admin = create_engine(make_url(server))
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


def redis_url() -> str | None:
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


def prepare_database() -> dict:
    """Migrate and build the published invitation; the ids and codes the runs use."""
    from flask_migrate import upgrade

    from app import create_app
    from extensions import db
    from models import (
        Invitation,
        InvitationData,
        InvitationEvent,
        InvitationMedia,
        InvitationResponse,
        InvitationUrl,
        Plan,
        Template,
        User,
    )
    from services.provisioning import new_link_code

    app = create_app("production")
    with app.app_context():
        upgrade()
        db.session.execute(text("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY "
                                + ("AUTO_INCREMENT" if db.engine.dialect.name != "sqlite" else "")
                                + ", name VARCHAR(150) NOT NULL)"))  # fmt: skip
        features = {"max_photos": PHOTOS, "max_events": EVENTS, "max_guest_links": GUEST_LINKS,
                    "custom_slug": True, "music": True, "video": True, "rsvp": True,
                    "online_days": 365}  # fmt: skip
        plan = Plan(name="Premium", slug="premium", price=Decimal("249.00"), features=features)
        template = Template(name="Rosa", slug="rosa", category="boda", price=Decimal("0.00"),
                            config={"colors": {"primary": "#C2185B"}})  # fmt: skip
        owner = User(email="novios@example.com", password_hash="x", first_name="Ana",
                     last_name="Quispe")  # fmt: skip
        db.session.add_all([plan, template, owner])
        db.session.flush()
        start = datetime(2027, 3, 13, 22, tzinfo=UTC)
        invitation = Invitation(
            user_id=owner.id, template_id=template.id, plan_id=plan.id, title="Boda Ana & Luis",
            is_published=True, published_at=datetime.now(UTC) - timedelta(days=1),
        )  # fmt: skip
        db.session.add(invitation)
        db.session.flush()
        db.session.add(
            InvitationData(
                invitation_id=invitation.id, couple_bride_name="Ana", couple_groom_name="Luis",
                event_date=start, welcome_message="¡Nos casamos! " * 20,
                story_text="Historia " * 100,
                gifts_enabled=True, bank_name="BCP", bank_account_number="191-1234567-0-11",
                rsvp_notify_owner=False,
            )
        )  # fmt: skip
        main = InvitationUrl(invitation_id=invitation.id, kind="main", code=new_link_code())
        links = [
            InvitationUrl(
                invitation_id=invitation.id,
                kind="guest",
                code=new_link_code(),
                guest_name=f"Familia {n}",
                max_guests=4,
            )  # fmt: skip
            for n in range(GUEST_LINKS)
        ]
        db.session.add_all([main, *links])
        db.session.add_all(
            InvitationEvent(
                invitation_id=invitation.id,
                event_type="recepcion",
                title=f"Momento {n}",
                starts_at=start + timedelta(minutes=30 * n),
                venue_name="Casa Hacienda",
                display_order=n,
            )  # fmt: skip
            for n in range(EVENTS)
        )
        db.session.add_all(
            InvitationMedia(
                invitation_id=invitation.id,
                media_type="photo",
                storage_key=f"uploads/p{n}.jpg",
                url=f"https://cdn.example.com/uploads/p{n}.jpg",
                thumbnail_url=f"https://cdn.example.com/uploads/p{n}-t.jpg",
                mime_type="image/jpeg",
                size_bytes=250_000,
                width=1920,
                height=1280,
                sha256=f"{n:064x}",
                display_order=n,
            )  # fmt: skip
            for n in range(PHOTOS)
        )
        db.session.flush()
        db.session.add_all(
            InvitationResponse(
                invitation_id=invitation.id,
                guest_name=f"Invitado {n}",
                status="confirmed",
                number_of_guests=2,
                dedupe_key=f"seed-{n}",
                invitation_url_id=links[n].id if n < GUEST_LINKS // 2 else None,
            )  # fmt: skip
            for n in range(RESPONSES)
        )
        db.session.commit()
        ids = {"invitation_id": invitation.id, "main_code": main.code}
        db.engine.dispose()
    return ids


def count_rows(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def main() -> int:
    if shutil.which("wrk") is None:
        print("bench.guest_page: wrk is not installed (Debian: apt-get install -y wrk).",
              file=sys.stderr)  # fmt: skip
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-guest-") as folder:
        folder = Path(folder)
        url, database = database_url(folder)
        shared_redis = redis_url()
        prefix = f"bench-{secrets.token_hex(4)}"
        try:
            return run(folder, url, shared_redis, prefix)
        finally:
            drop_database(database)
            if shared_redis:
                client = redis.Redis.from_url(shared_redis)
                for key in client.scan_iter(f"{prefix}:*"):
                    client.delete(key)


def run(folder: Path, url: str, shared_redis: str | None, prefix: str) -> int:
    (folder / "prometheus").mkdir()
    os.environ.update(
        {
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "JWT_SECRET": secrets.token_urlsafe(48),
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "REDIS_KEY_PREFIX": prefix,
            "RATELIMIT_ENABLED": "1",
            "RATELIMIT_DEFAULT": "100000000 per minute",
            "RATELIMIT_RSVP": "100000000 per minute",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "text",
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
            "FLASK_DEBUG": "0",
        }
    )
    ids = prepare_database()
    script = folder / "writes.lua"
    script.write_text(WRITE_SCRIPT)

    os.environ["REDIS_URL"] = shared_redis or ""
    cached_server, cached_port = start_gunicorn(
        "bench.guest_page:app_with_baselines()", folder / "cached.log"
    )
    os.environ["REDIS_URL"] = ""
    os.environ["PUBLIC_CACHE_TTL_SECONDS"] = "0"
    uncached_server, uncached_port = start_gunicorn("app:create_app()", folder / "uncached.log")
    os.environ.pop("PUBLIC_CACHE_TTL_SECONDS")
    bare_server, bare_port = start_gunicorn("bench.guest_page:bare_app()", folder / "bare.log")
    page = f"/api/public/invitations/{ids['main_code']}"
    app = f"http://127.0.0.1:{cached_port}"
    uncached_url = f"http://127.0.0.1:{uncached_port}{page}"
    bare = f"http://127.0.0.1:{bare_port}"
    select = f"/bench/select/{ids['invitation_id']}"
    reads = [
        ("guest page, cached", app + page, "in-app JSON", app + "/bench/json"),
        ("guest page, cache off", uncached_url, "in-app SELECT by id", app + select),
        ("guest page, cached", app + page, "bare Flask JSON", f"{bare}/bench/json"),
        ("guest page, cache off", uncached_url, "bare Flask SELECT", bare + select),
    ]
    writes = [
        ("RSVP POST", f"{app}{page}/rsvp", COUNT_RESPONSES),
        ("in-app INSERT", app + "/bench/insert", COUNT_ROWS),
        ("bare Flask INSERT", f"{bare}/bench/insert", COUNT_ROWS),
    ]
    runs: dict[str, list[dict]] = {}
    pairs: dict[tuple[str, str], list[float]] = {}
    try:
        wait_until_up(app + page, cached_server)
        wait_until_up(uncached_url, uncached_server)
        wait_until_up(f"{bare}/bench/json", bare_server)
        for _label, mine, _baseline, base in reads:
            wrk(mine, 1)
            wrk(base, 1)
        for round_number in range(ROUNDS):
            for label, mine, baseline, base in reads:
                measured = wrk(base, SECONDS), wrk(mine, SECONDS)
                runs.setdefault(baseline, []).append(measured[0])
                runs.setdefault(label, []).append(measured[1])
                pairs.setdefault((label, baseline), []).append(
                    measured[1]["rps"] / measured[0]["rps"]
                )
            for label, target, count_query in writes:
                before = count_rows(url, count_query)
                result = wrk(target, SECONDS, connections=WRITE_CONNECTIONS, script=script,
                             args=[f"{label[:4]}{round_number}"])  # fmt: skip
                result["stored"] = count_rows(url, count_query) - before
                runs.setdefault(label, []).append(result)
            for label, baseline in (("RSVP POST", "in-app INSERT"),
                                    ("RSVP POST", "bare Flask INSERT")):  # fmt: skip
                pairs.setdefault((label, baseline), []).append(
                    runs[label][-1]["rps"] / runs[baseline][-1]["rps"]
                )
    finally:
        for server in (cached_server, uncached_server, bare_server):
            stop(server)

    duplicated = count_rows(
        url,
        "SELECT COUNT(*) FROM (SELECT guest_name FROM invitation_responses "
        "GROUP BY invitation_id, guest_name HAVING COUNT(*) > 1) AS repeated",
    )
    report(runs, pairs, duplicated, url, shared_redis)
    return 0


def created(result: dict) -> int:
    for line in result["output"].splitlines():
        if line.startswith("CREATED "):
            return int(line.split()[1])
    raise SystemExit("wrk's script did not report its created rows")


def report(runs: dict, pairs: dict, duplicated: int, url: str, shared_redis) -> None:
    engine = url.split(":", 1)[0]
    cache = "Redis" if shared_redis else "in-process"
    print(
        f"gunicorn 4 sync workers per server; wrk -t2, {ROUNDS} rounds of {SECONDS} s, pairs run "
        f"back to back; reads -c{READ_CONNECTIONS}, writes -c{WRITE_CONNECTIONS}; {engine}; page "
        f"cache {cache}; {os.cpu_count()} CPUs (wrk on the same ones); {EVENTS} events, {PHOTOS} "
        f"photos, {GUEST_LINKS} guest links, {RESPONSES} answers. Medians over the rounds."
    )
    print(f"{'endpoint':<24} {'req/s':>8} {'p50':>9} {'p99':>9} {'non-2xx':>8}")
    for label, results in runs.items():
        print(
            f"{label:<24} {statistics.median(r['rps'] for r in results):>8.0f} "
            f"{statistics.median(r['p50_ms'] for r in results):>7.2f}ms "
            f"{statistics.median(r['p99_ms'] for r in results):>7.2f}ms "
            f"{sum(r['non_2xx'] for r in results):>8}"
        )
    for (label, baseline), ratios in pairs.items():
        target = TARGETS[TARGET_OF[label]]
        ratio = statistics.median(ratios)
        verdict = "met" if ratio >= target else "NOT met"
        print(
            f"{label} / {baseline}: {ratio:.2f} (range {min(ratios):.2f}-{max(ratios):.2f}; "
            f"target >= {target}: {verdict})"
        )
    for label in ("RSVP POST", "in-app INSERT", "bare Flask INSERT"):
        acknowledged = sum(created(r) for r in runs[label])
        stored = sum(r["stored"] for r in runs[label])
        # Rows stored beyond the 201s wrk read were answered after wrk stopped reading.
        print(
            f"{label}: {acknowledged} answered 201, {stored} rows stored, "
            f"{max(0, acknowledged - stored)} lost, "
            f"{duplicated if label == 'RSVP POST' else 0} duplicated, "
            f"{max(0, stored - acknowledged)} still in flight when wrk stopped"
        )


if __name__ == "__main__":
    sys.exit(main())
