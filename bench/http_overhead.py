"""Throughput of the app against a bare Flask app on the same database, under one gunicorn config.

Run: `make bench` (or `.venv/bin/python -m bench.http_overhead`); needs `wrk`
(Debian: `apt-get install -y wrk`). Both apps are served by gunicorn with the
repository's gunicorn.conf.py and 4 sync workers, on the same SQLite file. The
bare app answers a small JSON document read by one SELECT by primary key; the
ratio per endpoint is the app's requests per second over the bare app's,
measured back to back in each round (the median of the rounds is reported).

The app runs as in production (APP_ENV=production, access lines written,
Prometheus multiprocess directory set, rate limits on with memory storage);
RATELIMIT_DEFAULT is raised so that wrk is counted but never answered 429.

Recorded for bench/RESULTS.md: per endpoint the app's req/s against the bare app's in the same
round, the median ratio and its range, and the app's p50. BENCH_QUICK=1: 1 round of 1 s.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import Results, setting  # noqa: E402

SECONDS = setting("BENCH_SECONDS", 5, 1)
ROUNDS = setting("BENCH_ROUNDS", 3, 1)
CONNECTIONS = 8
WORKERS = 4
EXTRA_TEMPLATES = 40
TARGETS = {"/health": 0.8, "/api/templates/<id>": 0.6}


def bare_app():
    """The yardstick: Flask, one SELECT by primary key, a small JSON answer."""
    from flask import Flask, jsonify
    from sqlalchemy import create_engine, text

    from config import engine_options

    url = os.environ["DATABASE_URL"]
    engine = create_engine(url, **engine_options(url))
    query = text("SELECT id, name, slug FROM plans WHERE id = :id")
    app = Flask(__name__)

    @app.get("/plans/<int:plan_id>")
    def plan(plan_id):
        with engine.connect() as connection:
            row = connection.execute(query, {"id": plan_id}).one()
        return jsonify(id=row.id, name=row.name, slug=row.slug)

    return app


def prepare_database() -> dict[str, str]:
    """Migrate, seed the catalogue (with a full first page of templates) and mint a token."""
    from flask_migrate import upgrade

    from app import create_app
    from extensions import db
    from models.plan import Plan
    from models.template import CATEGORIES, Template
    from models.user import User
    from services import seed
    from services.tokens import issue_token_pair
    from utils.passwords import hash_password

    app = create_app("production")
    with app.app_context():
        upgrade()
        seed.seed_reference_data(None, None)
        for n in range(EXTRA_TEMPLATES):
            db.session.add(
                Template(
                    name=f"Diseño {n}",
                    slug=f"bench-{n}",
                    category=CATEGORIES[n % len(CATEGORIES)],
                    price=Decimal("10.00"),
                    config={},
                )
            )
        user = User(
            email="bench@example.com",
            password_hash=hash_password("clave12345"),
            first_name="Bench",
            last_name="User",
        )
        db.session.add(user)
        db.session.commit()
        plan_id = db.session.query(Plan.id).order_by(Plan.id).first()[0]
        template_id = db.session.query(Template.id).order_by(Template.id).first()[0]
        token = issue_token_pair(user)["access_token"]
        db.engine.dispose()
    return {"plan_id": str(plan_id), "template_id": str(template_id), "token": token}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(
    target: str, log_path: Path, *, workers: int = WORKERS, env: dict | None = None
) -> tuple[subprocess.Popen, int]:
    """gunicorn with the repository's config on a free port (`env`: variables of its own)."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    command += ["-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}", target]
    log = open(log_path, "ab")  # noqa: SIM115 - the server writes to it until stopped
    environment = {**os.environ, **env} if env else None
    server = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, stdout=log, stderr=log, env=environment
    )
    return server, port


def wait_until_up(url: str, server: subprocess.Popen, headers=None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode} before answering {url}")
        try:
            request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer 200 within 60 s")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wrk(
    url: str,
    seconds: int,
    headers=None,
    *,
    connections=CONNECTIONS,
    script=None,
    args=(),
    threads: int = 2,
) -> dict:
    """Requests per second, p50 and p99 in ms, and non-2xx answers of one wrk run (with
    `script`, a Lua file; its own output lines are returned as `output`)."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command.append("--latency")
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if args:
        command += ["--", *args]
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    refused = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    p50, p99 = _percentile(output, "50%"), _percentile(output, "99%")
    if rate is None or p50 is None:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    if float(rate.group(1)) == 0:
        # Every ratio divides by a run like this one: say which server answered nothing.
        raise SystemExit(f"wrk completed no request against {url}:\n{output}")
    return {
        "rps": float(rate.group(1)),
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": int(refused.group(1)) if refused else 0,
        "output": output,
    }


def _percentile(output: str, label: str) -> float | None:
    found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", output)
    if found is None:
        return None
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


def main() -> int:
    if shutil.which("wrk") is None:
        print(
            "bench.http_overhead: wrk is not installed; install it (Debian: apt-get install -y wrk)"
            " and run again.",
            file=sys.stderr,
        )
        return 1

    with tempfile.TemporaryDirectory(prefix="bench-http-") as folder:
        folder = Path(folder)
        (folder / "prometheus").mkdir()
        os.environ.update(
            {
                "APP_ENV": "production",
                "PUBLIC_BASE_URL": "https://api.invitaciones.example",
                "SECRET_KEY": secrets.token_urlsafe(48),
                "JWT_SECRET": secrets.token_urlsafe(48),
                "JWT_ACCESS_MINUTES": "120",
                "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                "REDIS_URL": "",
                "RATELIMIT_ENABLED": "1",
                "RATELIMIT_DEFAULT": "100000000 per minute",
                "LOG_LEVEL": "INFO",
                "LOG_FORMAT": "text",
                "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
                "FLASK_DEBUG": "0",
            }
        )
        ids = prepare_database()
        auth = {"Authorization": f"Bearer {ids['token']}"}
        endpoints = [
            ("/health", "/health", None),
            ("/api/plans", "/api/plans", None),
            ("/api/templates?per_page=20", "/api/templates?per_page=20", None),
            ("/api/templates/<id>", f"/api/templates/{ids['template_id']}", None),
            ("/api/auth/me", "/api/auth/me", auth),
        ]

        app_server, app_port = start_gunicorn("app:create_app()", folder / "app.log")
        bare_server, bare_port = start_gunicorn(
            "bench.http_overhead:bare_app()", folder / "bare.log"
        )
        app_base = f"http://127.0.0.1:{app_port}"
        bare_url = f"http://127.0.0.1:{bare_port}/plans/{ids['plan_id']}"
        try:
            wait_until_up(f"{app_base}/health", app_server)
            wait_until_up(bare_url, bare_server)
            wrk(bare_url, 2)
            for _label, path, headers in endpoints:
                wrk(app_base + path, 1, headers)

            results = {label: [] for label, _path, _headers in endpoints}
            for _ in range(ROUNDS):
                for label, path, headers in endpoints:
                    bare = wrk(bare_url, SECONDS)
                    mine = wrk(app_base + path, SECONDS, headers)
                    results[label].append((mine, bare))
        finally:
            stop(app_server)
            stop(bare_server)

        with open(folder / "app.log") as log:
            access_lines = sum(1 for line in log if " - access - " in line)
        report(results, access_lines)
    return 0


def report(results, access_lines: int) -> None:
    print(
        f"gunicorn {WORKERS} sync workers each; wrk -t2 -c{CONNECTIONS}, {SECONDS} s per run,"
        f" {ROUNDS} rounds; SQLite; {os.cpu_count()} CPUs"
    )
    print(f"{'endpoint':<28} {'app req/s':>10} {'bare req/s':>11} {'ratio':>6}  {'app p50':>8}")
    for label, runs in results.items():
        ratios = [mine["rps"] / bare["rps"] for mine, bare in runs]
        mine_rps = statistics.median(mine["rps"] for mine, _bare in runs)
        bare_rps = statistics.median(bare["rps"] for _mine, bare in runs)
        p50 = statistics.median(mine["p50_ms"] for mine, _bare in runs)
        refused = sum(mine["non_2xx"] for mine, _bare in runs)
        target = TARGETS.get(label)
        verdict = f"  target >= {target}" if target else ""
        if refused:
            verdict += f"  ({refused} non-2xx answers!)"
        print(
            f"{label:<28} {mine_rps:>10.0f} {bare_rps:>11.0f} {statistics.median(ratios):>6.2f}"
            f"  {p50:>6.2f}ms{verdict}"
        )
    print(f"(range of ratios per endpoint: {format_ranges(results)}; {access_lines} access lines)")
    record(results, access_lines)


def record(results, access_lines: int) -> None:
    """The figures of `report` for bench/RESULTS.md."""
    recorded = Results("http_overhead", "HTTP overhead: the app against bare Flask (gunicorn)")
    recorded.settings = {
        "gunicorn": f"{WORKERS} sync workers per app",
        "wrk": f"-t2 -c{CONNECTIONS}",
        "rounds": f"{ROUNDS} of {SECONDS} s",
        "database": "SQLite",
        "CPUs": f"{os.cpu_count()}, shared with wrk",
    }
    for label, runs in results.items():
        ratios = [mine["rps"] / bare["rps"] for mine, bare in runs]
        target = TARGETS.get(label)
        recorded.add(
            f"{label}, throughput",
            statistics.median(mine["rps"] for mine, _bare in runs),
            "req/s",
            baseline="bare Flask, one SELECT by primary key",
            baseline_value=statistics.median(bare["rps"] for _mine, bare in runs),
            ratio=statistics.median(ratios),
            ratio_low=min(ratios),
            ratio_high=max(ratios),
            target=(">=", target) if target else None,
            note="ratio: median of the rounds' ratios",
        )
        recorded.add(
            f"{label}, p50",
            statistics.median(mine["p50_ms"] for mine, _bare in runs),
            "ms",
            baseline="bare Flask p50",
            baseline_value=statistics.median(bare["p50_ms"] for _mine, bare in runs),
        )
        refused = sum(mine["non_2xx"] for mine, _bare in runs)
        if refused:
            recorded.note(f"{label}: {refused} non-2xx answers during the runs.")
    recorded.note(
        f"Each round measures the bare app and then the endpoint, back to back; {access_lines} "
        "access lines were written by the app. wrk shares the CPUs with the servers."
    )
    recorded.save()


def format_ranges(results) -> str:
    parts = []
    for label, runs in results.items():
        ratios = [mine["rps"] / bare["rps"] for mine, bare in runs]
        parts.append(f"{label} {min(ratios):.2f}-{max(ratios):.2f}")
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
