"""Login latency at the production bcrypt cost, for a real user and an unknown e-mail.

Run: `make bench` (or `.venv/bin/python -m bench.login_latency`). Uses a throw-away
SQLite database; BCRYPT_ROUNDS=12 as in production.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from services import auth  # noqa: E402

ROUNDS = 12
SAMPLES = 15


def timed(client, email, password) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    return (time.perf_counter() - start) * 1000, response.status_code


def summarize(label, samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{label:<28} median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms")


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
        for label, (email, password, expected) in cases.items():
            samples = []
            for _ in range(SAMPLES):
                elapsed, status = timed(client, email, password)
                assert status == expected, (label, status)
                samples.append(elapsed)
            summarize(label, samples)


if __name__ == "__main__":
    main()
