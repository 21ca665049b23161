"""`GET /api/admin/stats` on a big shop: 100 000 orders and 1 000 000 answers on MariaDB.

Run: `make bench` (or `.venv/bin/python -m bench.admin_stats`); needs a MariaDB/MySQL server
(BENCH_DATABASE_URL, default root@127.0.0.1:3306; a database of the run's own is made and
dropped). The rows are written with INSERT ... SELECT over MariaDB's sequence tables
(`seq_1_to_N`), then the route is called in-process with an admin's token: the median and
worst of the calls, and the SQL statements one call runs. The baseline, timed the same way
in the same run: a bare `SELECT COUNT(*)` of the answers, the floor of any exact count.
BENCH_QUICK=1: 2 000 orders, 20 000 answers, 3 calls.
"""

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import Results, setting  # noqa: E402

ORDERS = setting("BENCH_ORDERS", 100_000, 2_000)
RESPONSES = setting("BENCH_RESPONSES", 1_000_000, 20_000)
USERS = setting("BENCH_USERS", 5_000, 500)
INVITATIONS = setting("BENCH_INVITATIONS", 2_000, 200)
NOTIFICATIONS = ORDERS
CLAIMS = setting("BENCH_CLAIMS", 2_000, 200)
CALLS = setting("BENCH_CALLS", 20, 3)
TARGET_MS = 200

FILL = [
    # Users, one template and plan, invitations spread over them.
    "INSERT INTO users (email, password_hash, first_name, last_name, role, is_active, "
    "token_version, created_at, updated_at) SELECT CONCAT('u', seq, '@bench.pe'), 'x', 'Ana', "
    "'Quispe', 'user', 1, 0, NOW() - INTERVAL (seq % 700) DAY, NOW() FROM seq_1_to_{users}",
    "INSERT INTO templates (name, slug, category, price, is_active, display_order, config, "
    "created_at, updated_at) VALUES ('Rosa', 'rosa', 'boda', 0, 1, 0, '{{}}', NOW(), NOW())",
    "INSERT INTO plans (name, slug, price, features, is_active, display_order, created_at, "
    "updated_at) VALUES ('Premium', 'premium', 249, '{{}}', 1, 0, NOW(), NOW())",
    "INSERT INTO invitations (user_id, template_id, plan_id, title, is_published, version, "
    "created_at, updated_at) SELECT 1 + seq % {users}, 1, 1, 'Boda', seq % 3 = 0, 1, NOW(), "
    "NOW() FROM seq_1_to_{invitations}",
    # Orders over two years in every status; paid ones with a payment date.
    "INSERT INTO orders (order_number, user_id, status, payment_status, subtotal, "
    "discount_total, total, currency, paid_at, created_at, updated_at) SELECT "
    "CONCAT('ORD-B', seq), 1 + seq % {users}, ELT(1 + seq % 6, 'paid', 'paid', 'pending', "
    "'cancelled', 'refunded', 'expired'), 'unpaid', 149 + seq % 100, 0, 149 + seq % 100, 'PEN', "
    "IF(seq % 6 IN (0, 1, 4), NOW() - INTERVAL (seq % 730) DAY, NULL), "
    "NOW() - INTERVAL (seq % 730) DAY, NOW() FROM seq_1_to_{orders}",
    "INSERT INTO payment_transactions (gateway, transaction_uuid, order_number, kind, source, "
    "order_status, flagged, received_at, times_received, processed) SELECT 'izipay', "
    "CONCAT('uuid-', seq), CONCAT('ORD-B', seq), 'notification', 'ipn', "
    "IF(seq % 5 = 0, 'UNPAID', 'PAID'), 0, NOW() - INTERVAL (seq % 730) DAY, 1, 1 "
    "FROM seq_1_to_{notifications}",
    "INSERT INTO invitation_responses (invitation_id, guest_name, status, number_of_guests, "
    "dedupe_key, created_at, updated_at) SELECT 1 + seq % {invitations}, CONCAT('G', seq), "
    "IF(seq % 4 = 0, 'declined', 'confirmed'), IF(seq % 4 = 0, 0, 1 + seq % 3), "
    "CONCAT('k', seq), NOW() - INTERVAL (seq % 400) DAY, NOW() FROM seq_1_to_{responses}",
    "INSERT INTO claims (code, claim_type, full_name, document_type, document_number, address, "
    "email, is_minor, item_type, item_description, detail, consumer_request, status, "
    "response_due_date, created_at, updated_at) SELECT CONCAT('LR-2026-', LPAD(seq, 6, '0')), "
    "'reclamo', 'Rosa', 'DNI', '12345678', 'Lima', 'rosa@bench.pe', 0, 'servicio', 'x', 'x', 'x', "
    "ELT(1 + seq % 3, 'pending', 'in_review', 'answered'), CURDATE() - INTERVAL (seq % 60) DAY, "
    "NOW(), NOW() FROM seq_1_to_{claims}",
]


def main() -> int:
    server = os.environ.get("BENCH_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
    name = f"inv_bench_stats_{secrets.token_hex(4)}"
    admin_engine = create_engine(make_url(server).set(query={"charset": "utf8mb4"}))
    with admin_engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = make_url(server).set(database=name, query={"charset": "utf8mb4"})
    try:
        return run(url.render_as_string(hide_password=False))
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin_engine.dispose()


def run(url: str) -> int:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "JWT_SECRET": secrets.token_urlsafe(48),
        }
    )
    from flask_migrate import upgrade

    from app import create_app
    from extensions import db
    from models.user import User
    from services.tokens import issue_token_pair

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        sizes = {
            "users": USERS,
            "invitations": INVITATIONS,
            "orders": ORDERS,
            "notifications": NOTIFICATIONS,
            "responses": RESPONSES,
            "claims": CLAIMS,
        }
        started = time.perf_counter()
        with db.engine.begin() as connection:
            for statement in FILL:
                connection.execute(text(statement.format(**sizes)))
            connection.execute(text("ANALYZE TABLE orders, invitation_responses, claims, "
                                    "payment_transactions, users, invitations"))  # fmt: skip
        filled = time.perf_counter() - started
        admin = User(email="jefa@bench.pe", password_hash="x", first_name="J", last_name="A",
                     role="admin")  # fmt: skip
        db.session.add(admin)
        db.session.commit()
        headers = {"Authorization": f"Bearer {issue_token_pair(admin)['access_token']}"}
        engine = db.engine

    client = app.test_client()
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    client.get("/api/admin/stats", headers=headers)  # warm the pool and the buffer pool
    timings = {}
    for label, query in (
        ("all time", ""),
        ("one year", "?date_from=2026-01-01&date_to=2026-12-31"),
    ):
        samples = []
        for _ in range(CALLS):
            begun = time.perf_counter()
            response = client.get(f"/api/admin/stats{query}", headers=headers)
            samples.append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200, response.get_json()
        timings[label] = samples
    counts = []
    with engine.connect() as connection:
        for _ in range(CALLS):
            begun = time.perf_counter()
            connection.execute(text("SELECT COUNT(*) FROM invitation_responses")).scalar_one()
            counts.append((time.perf_counter() - begun) * 1000)
    event.listen(engine, "before_cursor_execute", record)
    body = client.get("/api/admin/stats", headers=headers).get_json()
    event.remove(engine, "before_cursor_execute", record)

    print(
        f"MariaDB; {ORDERS} orders, {RESPONSES} answers, {NOTIFICATIONS} notifications, "
        f"{USERS} users, {INVITATIONS} invitations, {CLAIMS} claims (filled in {filled:.1f} s); "
        f"{CALLS} calls each, in-process"
    )
    for label, samples in timings.items():
        median = statistics.median(samples)
        verdict = "met" if median < TARGET_MS else "NOT met"
        print(
            f"GET /api/admin/stats ({label}): median {median:.1f} ms, worst {max(samples):.1f} ms "
            f"(target < {TARGET_MS} ms: {verdict})"
        )
    print(
        f"baseline, a bare COUNT(*) of the answers: median "
        f"{statistics.median(counts):.1f} ms, worst {max(counts):.1f} ms"
    )
    print(f"{len(statements)} SQL statements per call (the admin's token user included)")
    print(
        f"revenue_total {body['revenue_total']}, {len(body['revenue_by_month'])} months, "
        f"rsvps_total {body['rsvps_total']}, payment_success_rate {body['payment_success_rate']}"
    )
    record_results(timings, counts, len(statements), filled)
    return 0


def record_results(timings: dict, counts: list[float], statements: int, filled: float) -> None:
    recorded = Results("admin_stats", "Admin statistics on a big shop (MariaDB)")
    recorded.settings = {
        "rows": f"{ORDERS} orders, {RESPONSES} answers, {NOTIFICATIONS} notifications, "
        f"{USERS} users, {INVITATIONS} invitations, {CLAIMS} claims (filled in {filled:.0f} s)",
        "calls": f"{CALLS} per case, in-process",
    }
    count = statistics.median(counts)
    recorded.add(
        f"bare COUNT(*) of {RESPONSES} answers, median",
        count,
        "ms",
        low=min(counts),
        high=max(counts),
    )
    every = statistics.median(timings["all time"])
    for label, samples in timings.items():
        median = statistics.median(samples)
        recorded.add(
            f"GET /api/admin/stats ({label}), median",
            median,
            "ms",
            low=min(samples),
            high=max(samples),
            baseline="the bare COUNT(*)" if label == "all time" else "all time, median",
            baseline_value=count if label == "all time" else every,
            target=("<", TARGET_MS),
            target_on="value",
        )
        recorded.add(f"GET /api/admin/stats ({label}), worst", max(samples), "ms")
    recorded.add("SQL statements per call", statements, "statements")
    recorded.note(
        "The bare COUNT(*) is the floor of an exact count of the answers on InnoDB; the ratio "
        "of the all-time call to it is the rest of the route's work. One year is "
        "date_from=2026-01-01, date_to=2026-12-31."
    )
    recorded.save()


if __name__ == "__main__":
    sys.exit(main())
