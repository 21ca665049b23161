"""The app served by processes of its own (`tests.live_server`), as separate hosts would run it.

`running_apps(count, overrides)` starts that many at once on free ports, all with the same
configuration overrides, and stops every one of them on the way out, whatever happened;
the `app_processes` fixture does the same for one test. Each process is talked to over real
HTTP (`requests`); its stderr (logs, tracebacks) is the test's, shown when a test fails.
"""

import contextlib
import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 5


class AppProcess:
    """One app process: `get`/`post`/... take a path and return the `requests` response."""

    def __init__(self, overrides: dict):
        # A Prometheus multiprocess folder of the run would mix this process's figures in.
        env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
        self.process = subprocess.Popen(  # noqa: S603 - our own module and arguments
            [sys.executable, "-m", "tests.live_server"],
            cwd=ROOT,
            env={**env, "LIVE_APP_OVERRIDES": json.dumps(overrides)},
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = ""
        self.session = requests.Session()

    def wait_until_serving(self) -> None:
        """Read the port the process printed; fail if it died or took too long."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=START_TIMEOUT_SECONDS)
        port = self.process.stdout.readline().strip() if ready else ""
        if not port.isdigit():
            self.stop()
            pytest.fail("an app process did not start (its stderr says why)", pytrace=False)
        self.url = f"http://127.0.0.1:{port}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_SECONDS)
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def metric(self, name: str, **labels: str) -> float:
        """A sample of this process's /metrics (0 when it has none yet)."""
        wanted = name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
        for line in self.get("/metrics").text.splitlines():
            sample, _, value = line.rpartition(" ")
            if sample == wanted or (not labels and sample == name):
                return float(value)
        return 0.0

    def stop(self) -> None:
        self.session.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


@contextlib.contextmanager
def running_apps(count: int, overrides: dict):
    """`count` app processes with `overrides`, started side by side, stopped on leaving."""
    apps: list[AppProcess] = []
    try:
        for _ in range(count):
            apps.append(AppProcess(overrides))
        for app in apps:
            app.wait_until_serving()
        yield apps
    finally:
        for app in apps:
            app.stop()


def base_overrides(database_url: str, media_root: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_ROOT": media_root}


@pytest.fixture
def app_processes(database_url, session_media_root):
    """`app_processes(count, **overrides)` -> that many app processes on the run's database
    (any override wins), stopped when the test ends."""
    with contextlib.ExitStack() as stack:

        def start(count: int = 1, **overrides) -> list[AppProcess]:
            settings = {**base_overrides(database_url, session_media_root), **overrides}
            return stack.enter_context(running_apps(count, settings))

        yield start


def wait_for(condition, timeout: float, interval: float = 0.1):
    """Call `condition` until it returns something true (returned) or `timeout` passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
