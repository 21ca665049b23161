"""Without redis-server on PATH (and no TEST_REDIS_URL), the tests needing Redis are skipped
with the reason in the summary; under CI=true the same run fails (docs/testing.md, "Tests")."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port

# Many seconds long: started first, so both xdist workers finish together (conftest).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NEEDS_REDIS = (
    "tests/api/test_rate_limits_and_shared_state.py::test_health_reports_redis_when_configured"
)


def run_pytest_without_redis(**env) -> subprocess.CompletedProcess:
    # Only the virtualenv's folder on PATH: python and pytest, no redis-server.
    environment = {**os.environ, "PATH": str(Path(sys.executable).parent), "TEST_REDIS_URL": ""}
    environment.pop("CI", None)
    environment.pop("PYTEST_XDIST_WORKER", None)
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", NEEDS_REDIS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_tests_needing_redis_are_skipped_with_the_reason_when_it_is_missing():
    result = run_pytest_without_redis()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "SKIPPED" in result.stdout and "needs Redis: no redis-server on PATH" in result.stdout


def test_under_ci_a_missing_redis_fails_the_run():
    result = run_pytest_without_redis(CI="true")

    assert result.returncode != 0
    assert "1 error" in result.stdout
    assert "needs Redis" in result.stdout and "CI=true" in result.stdout


@pytest.mark.parametrize("workers", ["0", "2"])
def test_an_unreachable_mariadb_ends_the_run_in_one_line(workers):
    closed = f"mysql+pymysql://root@127.0.0.1:{free_port()}/test"
    environment = {**os.environ, "TEST_DATABASE_URL": closed}
    environment.pop("PYTEST_XDIST_WORKER", None)

    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", workers,
         "tests/test_env_example.py"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip().splitlines()
    assert len(output) == 1, "\n".join(output)
    assert output[0].startswith("ERROR: MariaDB at 127.0.0.1:")
    assert "(TEST_DATABASE_URL) is unreachable: (2003" in output[0]
