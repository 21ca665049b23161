"""gunicorn.conf.py under a real gunicorn: workers and threads from the environment, a stale
Prometheus multiprocess folder emptied at start, the app served."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def served(tmp_path):
    database = f"sqlite:///{tmp_path / 'app.db'}"
    metrics = tmp_path / "prometheus"
    metrics.mkdir()
    (metrics / "counter_12345.db").write_bytes(b"figures of an earlier run")
    env = {
        **os.environ,
        "APP_ENV": "production",
        "PUBLIC_BASE_URL": "https://api.invitaciones.example",
        "SECRET_KEY": "s" * 48,
        "JWT_SECRET": "j" * 48,
        "DATABASE_URL": database,
        "REDIS_URL": "",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "FLASK_APP": "app",
    }
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
         "app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", metrics, tmp_path / "gunicorn.log"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def get(url: str) -> tuple[int, bytes]:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_gunicorn_serves_with_the_environments_workers_and_threads(served):
    base, metrics, log_path = served

    status, _body = get(f"{base}/health")

    assert status in (200, 503)  # 503 only says a dependency is not configured
    assert not (metrics / "counter_12345.db").exists()
    log = log_path.read_text()
    assert log.count("Booting worker") == 2, log
    assert "Using worker: gthread" in log, log
    status, body = get(f"{base}/metrics")
    assert status == 200
    assert b"http_responses_total" in body
