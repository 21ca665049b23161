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

Then the scale run: the cached page served by one gunicorn instance (4 workers) against two
instances (4 workers each, their own Prometheus folders, one Redis) in two ways, each pair
back to back in every round:
- wrk's threads split between the two instances (a Lua `setup()` sets each thread's
  `thread.addr`; wrk keeps one address per thread, so the split is per connection, not per
  request), against the same wrk aimed at one instance; the load generator is identical;
- one port: nginx (when installed; `worker_processes auto` as Debian's default,
  BENCH_NGINX_WORKERS to change it; upstream keepalive, buffering as in
  deploy/nginx-invitaciones.conf) in front of one instance, against the same nginx balancing
  round robin over both.
Plus one instance with 8 workers, to tell "more processes" from "more instances". The CPU
busy share of the machine during each run (from /proc/stat) and wrk's own CPU time are
recorded, with the requests each instance logged.

Recorded for bench/RESULTS.md: every figure above, each ratio against its baseline of the same
round. BENCH_QUICK=1: 1 round of 1 s.
"""

import getpass
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_overhead import free_port, start_gunicorn, stop, wait_until_up, wrk  # noqa: E402
from bench.results import Results, setting  # noqa: E402

SECONDS = setting("BENCH_SECONDS", 5, 1)
ROUNDS = setting("BENCH_ROUNDS", 3, 1)
WORKERS = 4
NGINX_WORKERS = os.environ.get("BENCH_NGINX_WORKERS", "auto")
READ_CONNECTIONS = 8
# The scale run keeps twice as many requests in flight as 2 instances have workers, so that no
# worker waits for the proxy to hand it the next one.
SCALE_CONNECTIONS = 4 * WORKERS
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

# wrk resolves one address per thread: setup() hands the threads to the instances in turn.
SPLIT_SCRIPT = """
local addrs = {}
local handed = 0
function setup(thread)
  if #addrs == 0 then
    for _, port in ipairs({%(ports)s}) do
      for _, addr in ipairs(wrk.lookup("127.0.0.1", port)) do table.insert(addrs, addr) end
    end
  end
  handed = handed %% #addrs + 1
  thread.addr = addrs[handed]
end
"""

NGINX_CONF = """
%(user)s
worker_processes %(workers)s;
daemon off;
pid %(folder)s/nginx.pid;
error_log %(folder)s/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %(folder)s/nginx-body;
    proxy_temp_path %(folder)s/nginx-proxy;
    fastcgi_temp_path %(folder)s/nginx-fastcgi;
    uwsgi_temp_path %(folder)s/nginx-uwsgi;
    scgi_temp_path %(folder)s/nginx-scgi;
    keepalive_requests 1000000;
    proxy_buffering on;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Request-ID $request_id;
    upstream one { server 127.0.0.1:%(a)d; keepalive 16; }
    upstream two { server 127.0.0.1:%(a)d; server 127.0.0.1:%(b)d; keepalive 16; }
    server { listen 127.0.0.1:%(one)d; location / { proxy_pass http://one; } }
    server { listen 127.0.0.1:%(two)d; location / { proxy_pass http://two; } }
}
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
                thumbnail_key=f"uploads/p{n}-t.jpg",
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
            "PUBLIC_BASE_URL": "https://api.invitaciones.example",
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
    recorded = Results("guest_page", "The guest path under load (gunicorn, wrk)")
    report(runs, pairs, duplicated, url, shared_redis, recorded)
    scale = scale_run(folder, shared_redis, page)
    report_scale(scale, recorded)
    recorded.save()
    return 0


def created(result: dict) -> int:
    for line in result["output"].splitlines():
        if line.startswith("CREATED "):
            return int(line.split()[1])
    raise SystemExit("wrk's script did not report its created rows")


def report(runs: dict, pairs: dict, duplicated: int, url: str, shared_redis, recorded) -> None:
    engine = url.split(":", 1)[0]
    cache = "Redis" if shared_redis else "in-process"
    recorded.settings = {
        "gunicorn": f"{WORKERS} sync workers per server",
        "wrk": f"-t2, reads -c{READ_CONNECTIONS}, writes -c{WRITE_CONNECTIONS}",
        "rounds": f"{ROUNDS} of {SECONDS} s, pairs back to back",
        "database": engine,
        "page cache": cache,
        "CPUs": f"{os.cpu_count()}, shared with wrk",
        "invitation": f"{EVENTS} events, {PHOTOS} photos, {GUEST_LINKS} guest links, "
        f"{RESPONSES} answers",
    }
    record(runs, pairs, duplicated, recorded)
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


def record(runs: dict, pairs: dict, duplicated: int, recorded) -> None:
    """The figures `report` prints, for bench/RESULTS.md."""
    for (label, baseline), ratios in pairs.items():
        in_app = baseline.startswith("in-app")
        recorded.add(
            f"{label}, throughput",
            statistics.median(r["rps"] for r in runs[label]),
            "req/s",
            baseline=f"{baseline}, throughput",
            baseline_value=statistics.median(r["rps"] for r in runs[baseline]),
            ratio=statistics.median(ratios),
            ratio_low=min(ratios),
            ratio_high=max(ratios),
            target=(">=", TARGETS[TARGET_OF[label]]) if in_app else None,
        )
    for label, results in runs.items():
        for key, statistic in (("p50_ms", "p50"), ("p99_ms", "p99")):
            recorded.add(f"{label}, {statistic}", statistics.median(r[key] for r in results), "ms")
        refused = sum(r["non_2xx"] for r in results)
        if refused:
            recorded.note(f"{label}: {refused} non-2xx answers during the runs.")
    for label in ("RSVP POST", "in-app INSERT", "bare Flask INSERT"):
        acknowledged = sum(created(r) for r in runs[label])
        stored = sum(r["stored"] for r in runs[label])
        note = (
            f"{acknowledged} answered 201, {stored} stored, "
            f"{max(0, stored - acknowledged)} answered after wrk stopped reading"
        )
        recorded.add(f"{label}: rows lost", max(0, acknowledged - stored), "rows",
                     target=("<=", 0), note=note)  # fmt: skip
        if label == "RSVP POST":
            recorded.add("RSVP POST: answers duplicated", duplicated, "rows", target=("<=", 0))
    recorded.note(
        "Ratios are medians of the per-round ratios (range in parentheses); the target of each "
        "guest-path figure is against the in-app yardstick (same hooks, limiter, metrics and "
        "access log), the bare Flask ratio is shown beside it. Writes use "
        f"{WRITE_CONNECTIONS} connections, every answer a new guest."
    )


# ------------------------------------------------------------------------- the scale run


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat (iowait and idle count as idle)."""
    try:
        fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]  # noqa: SIM115
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total


def wrk_with_cpu(url: str, seconds: int, **options) -> dict:
    """One wrk run, with the machine's CPU busy share during it and wrk's own CPU seconds."""
    busy_before, total_before = cpu_ticks()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = wrk(url, seconds, **options)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_after, total_after = cpu_ticks()
    spent = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    total = total_after - total_before
    result["cpu_busy"] = (busy_after - busy_before) / total if total else float("nan")
    result["wrk_cores"] = spent / elapsed
    return result


def start_nginx(folder: Path, port_a: int, port_b: int) -> tuple[subprocess.Popen, int, int]:
    """nginx with one port in front of instance A alone and one balancing A and B."""
    one, two = free_port(), free_port()
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    config = folder / "nginx.conf"
    settings = {"user": user, "folder": folder, "a": port_a, "b": port_b, "one": one, "two": two}
    settings["workers"] = NGINX_WORKERS
    config.write_text(NGINX_CONF % settings)
    log = open(folder / "nginx.log", "ab")  # noqa: SIM115 - nginx writes to it until stopped
    command = ["nginx", "-p", str(folder), "-e", str(folder / "nginx-error.log"), "-c", str(config)]
    server = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603
    return server, one, two


def access_lines(path: Path) -> int:
    with open(path, errors="replace") as log:
        return sum(1 for line in log if " - access - " in line)


def scale_run(folder: Path, shared_redis: str | None, page: str) -> dict:
    """The cached page from 1 instance against 2 instances (and 1 instance with twice the
    workers), measured per round back to back; see the module's docstring."""
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    for name, workers in (("A", WORKERS), ("B", WORKERS), ("wide", 2 * WORKERS)):
        prometheus = folder / f"prometheus-{name}"
        prometheus.mkdir()
        servers[name] = start_gunicorn(
            "app:create_app()",
            folder / f"scale-{name}.log",
            workers=workers,
            env={"REDIS_URL": shared_redis or "", "PROMETHEUS_MULTIPROC_DIR": str(prometheus)},
        )
    port_a, port_b = servers["A"][1], servers["B"][1]
    proxy = start_nginx(folder, port_a, port_b) if shutil.which("nginx") else None
    split = folder / "split.lua"
    split.write_text(SPLIT_SCRIPT % {"ports": f'"{port_a}", "{port_b}"'})
    direct = f"http://127.0.0.1:{port_a}{page}"
    pairs = [
        ("1 instance, direct", direct, {}),
        ("2 instances, wrk threads split", direct, {"script": split}),
        ("1 instance, 8 workers, direct", f"http://127.0.0.1:{servers['wide'][1]}{page}", {}),
    ]
    if proxy is not None:
        pairs += [
            ("1 instance behind nginx", f"http://127.0.0.1:{proxy[1]}{page}", {}),
            ("2 instances behind nginx", f"http://127.0.0.1:{proxy[2]}{page}", {}),
        ]
    runs: dict[str, list[dict]] = {label: [] for label, _url, _options in pairs}
    try:
        for server, port in servers.values():
            wait_until_up(f"http://127.0.0.1:{port}{page}", server)
        if proxy is not None:
            wait_until_up(f"http://127.0.0.1:{proxy[1]}{page}", proxy[0])
            wait_until_up(f"http://127.0.0.1:{proxy[2]}{page}", proxy[0])
        for _label, target, options in pairs:
            wrk(target, 1, **options)
        time.sleep(0.5)
        before = {name: access_lines(folder / f"scale-{name}.log") for name in servers}
        served = {label: dict.fromkeys(servers, 0) for label in runs}
        for _ in range(ROUNDS):
            for label, target, options in pairs:
                runs[label].append(
                    wrk_with_cpu(target, SECONDS, connections=SCALE_CONNECTIONS, **options)
                )
                time.sleep(0.5)  # the last access lines of the run reach the logs
                after = {name: access_lines(folder / f"scale-{name}.log") for name in servers}
                for name in servers:
                    served[label][name] += after[name] - before[name]
                before = after
    finally:
        for server, _port in servers.values():
            stop(server)
        if proxy is not None:
            stop(proxy[0])
    return {"runs": runs, "served": served, "nginx": proxy is not None}


SCALE_BASELINES = {
    "2 instances, wrk threads split": "1 instance, direct",
    "1 instance, 8 workers, direct": "1 instance, direct",
    "1 instance behind nginx": "1 instance, direct",
    "2 instances behind nginx": "1 instance behind nginx",
}


def report_scale(scale: dict, recorded) -> None:
    runs, served = scale["runs"], scale["served"]
    print(
        f"scale: the cached page, 1 gunicorn instance ({WORKERS} workers) against 2 "
        f"({WORKERS} each); wrk -t2 -c{SCALE_CONNECTIONS}, {ROUNDS} rounds of {SECONDS} s"
        + ("" if scale["nginx"] else "; nginx not installed: no one-port run")
    )
    print(f"{'run':<32} {'req/s':>8} {'ratio':>6} {'p50':>9} {'CPU busy':>9} {'wrk':>6}  logged by")
    for label, results in runs.items():
        rps = statistics.median(r["rps"] for r in results)
        baseline = SCALE_BASELINES.get(label)
        ratios = (
            [r["rps"] / b["rps"] for r, b in zip(results, runs[baseline], strict=True)]
            if baseline
            else []
        )
        ratio = f"{statistics.median(ratios):>6.2f}" if ratios else f"{'':>6}"
        p50 = statistics.median(r["p50_ms"] for r in results)
        busy = statistics.median(r["cpu_busy"] for r in results)
        cores = statistics.median(r["wrk_cores"] for r in results)
        logged = ", ".join(f"{name} {count}" for name, count in served[label].items() if count)
        refused = sum(r["non_2xx"] for r in results)
        if refused:
            logged += f" ({refused} non-2xx!)"
        print(
            f"{label:<32} {rps:>8.0f} {ratio} {p50:>7.2f}ms {busy:>8.0%} {cores:>5.2f}c  {logged}"
        )
        recorded.add(
            f"scale: {label}, throughput",
            rps,
            "req/s",
            low=min(r["rps"] for r in results),
            high=max(r["rps"] for r in results),
            baseline=f"scale: {baseline}" if baseline else None,
            baseline_value=statistics.median(r["rps"] for r in runs[baseline])
            if baseline
            else None,
            ratio=statistics.median(ratios) if ratios else None,
            ratio_low=min(ratios) if ratios else None,
            ratio_high=max(ratios) if ratios else None,
            note=f"p50 {p50:.2f} ms; CPU busy {busy:.0%} of {os.cpu_count()} cores; wrk "
            f"{cores:.2f} cores; requests logged by instance {logged}",
        )
    recorded.note(
        "**Scale run (1 instance against 2).** The cached public page, served by one gunicorn "
        f"instance of {WORKERS} sync workers and by two such instances (own Prometheus folders, "
        "one Redis), put behind the same load in two ways. (1) wrk's two threads split between "
        "the instances by a Lua `setup()` that sets each thread's `thread.addr`, against the "
        "same wrk on one instance: wrk keeps one address per thread (a script cannot pick a "
        "host per request), so the split is per connection, and the load generator does not "
        f"change. (2) One port: nginx ({NGINX_WORKERS} worker processes, upstream keepalive, "
        "buffering on, as in the deploy kit) in front of one instance, against the same nginx "
        "balancing round robin over both. Two wrk processes summed were not used: they would "
        "double the load generator's threads on the same cores and measure wrk as much as the "
        f"app. One instance with {2 * WORKERS} workers tells more processes from more "
        f"instances. wrk -t2 -c{SCALE_CONNECTIONS} in every run (twice the workers of two "
        "instances, so none waits for the proxy). Each ratio is the median of the per-round "
        "ratios, each pair run back to "
        "back; CPU busy is the whole machine's share during the run (/proc/stat), wrk's cores "
        "its own CPU time over the run's length."
    )
    recorded.note(scale_verdict(runs))


def scale_verdict(runs: dict) -> str:
    """What the scale run measured, in words, with the reason (from the figures, not assumed)."""

    def median_ratio(label: str) -> float | None:
        baseline = SCALE_BASELINES[label]
        if label not in runs:
            return None
        pairs = zip(runs[label], runs[baseline], strict=True)
        return statistics.median(r["rps"] / b["rps"] for r, b in pairs)

    split = median_ratio("2 instances, wrk threads split")
    proxied = median_ratio("2 instances behind nginx")
    proxy_cost = median_ratio("1 instance behind nginx")
    busy = statistics.median(r["cpu_busy"] for r in runs["1 instance, direct"])
    cores = os.cpu_count() or 1
    measured = f"2 instances / 1: {split:.2f} with wrk's threads split"
    if proxied is not None:
        measured += f", {proxied:.2f} behind one nginx port"
    wide = median_ratio("1 instance, 8 workers, direct")
    best = max(value for value in (split, proxied) if value is not None)
    if best >= 1.3:
        why = "throughput grows with processes here: the second instance found idle cores."
    elif busy >= 0.85:
        trend = "fell" if best < 0.95 else "stayed flat"
        why = (
            f"it {trend}. With one instance the {cores} cores were already {busy:.0%} busy "
            "(wrk, the workers, Redis and MariaDB share them), so a second instance adds "
            "processes but no CPU: the same cores are divided among more workers, which also "
            "pay more context switches and colder caches. One instance with "
            f"{2 * WORKERS} workers: {wide:.2f} of 4 workers, so it is the number of "
            "processes on the cores, not a second instance as such. More processes pay off "
            "only with idle cores to run on (a bigger host, or a second one): there the same "
            "run is where growth shows."
        )
    else:
        why = (
            f"the cores were only {busy:.0%} busy with one instance, so the limit is elsewhere "
            "(Redis round trips, the load generator or the proxy), not the app's processes."
        )
    if proxy_cost is not None and proxy_cost < 0.9:
        why += (
            f" nginx itself runs on the same cores: one instance behind it serves "
            f"{proxy_cost:.2f} of what it serves directly."
        )
    return f"Measured: {measured}; {why}"


if __name__ == "__main__":
    sys.exit(main())
