"""Login latency at the production bcrypt cost, for a real user and an unknown e-mail.

Run: `make bench` (or `.venv/bin/python -m bench.login_latency`). Uses a throw-away
SQLite database; BCRYPT_ROUNDS=12 as in production. Recorded for bench/RESULTS.md: each case's
median and p95, the wrong password and the unknown e-mail against the correct password (a
ratio near 1: the answer's time tells nothing about the account). BENCH_QUICK=1: 3 logins.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from bench.results import Results, setting  # noqa: E402
from services import auth  # noqa: E402

ROUNDS = 12
SAMPLES = setting("BENCH_SAMPLES", 15, 3)


def timed(client, email, password) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    return (time.perf_counter() - start) * 1000, response.status_code


def summarize(label, samples) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{label:<28} median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms")
    return statistics.median(ordered), p95


def main():
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            "testing",
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "BCRYPT_ROUNDS": ROUNDS},
        )
        with app.app_context():
            upgrade()
            auth.register(
                email="bench@example.com", password="clave12345", first_name="B", last_name="B"
            )
        client = app.test_client()
        timed(client, "bench@example.com", "clave12345")  # warm-up
        cases = {
            "correct password": ("bench@example.com", "clave12345", 200),
            "wrong password": ("bench@example.com", "equivocada1", 401),
            "unknown e-mail": ("nobody@example.com", "equivocada1", 401),
        }
        print(f"bcrypt cost {ROUNDS}, {SAMPLES} logins per case")
        results = Results("login_latency", "Login latency (bcrypt cost 12)")
        results.settings = {
            "bcrypt cost": ROUNDS,
            "logins per case": SAMPLES,
            "database": "SQLite, in-process test client",
        }
        figures = {}
        for label, (email, password, expected) in cases.items():
            samples = []
            for _ in range(SAMPLES):
                elapsed, status = timed(client, email, password)
                assert status == expected, (label, status)
                samples.append(elapsed)
            figures[label] = summarize(label, samples)
        correct = figures["correct password"]
        for label, (median, p95) in figures.items():
            compared = label != "correct password"
            for index, statistic in enumerate(("median", "p95")):
                results.add(
                    f"{label}, {statistic}",
                    (median, p95)[index],
                    "ms",
                    baseline=f"correct password, {statistic}" if compared else None,
                    baseline_value=correct[index] if compared else None,
                )
        results.note(
            "A ratio near 1 for the wrong password and the unknown e-mail: the time of a failed "
            "login does not tell whether the account exists."
        )
        results.save()


if __name__ == "__main__":
    main()
