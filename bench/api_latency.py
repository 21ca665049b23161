"""In-process latency of the catalogue and of Izipay notifications (no network in the way).

Run: `make bench`. Once on a throw-away SQLite database, then again on MariaDB when the
server of BENCH_DATABASE_URL answers (default root@127.0.0.1:3306; a database of the run's own
is made and dropped); the test client calls the WSGI app directly, so the numbers are the
app's own cost. Recorded for bench/RESULTS.md: each median and p95; the MariaDB ones against
the same request on SQLite, a repeated notification against the first one.
BENCH_QUICK=1: 20 templates, 20 requests, 10 orders.
"""

import json
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from bench.guest_page import database_url, drop_database  # noqa: E402
from bench.results import Results, setting  # noqa: E402
from extensions import db  # noqa: E402
from models.plan import Plan  # noqa: E402
from models.template import CATEGORIES, Template  # noqa: E402
from models.user import User  # noqa: E402
from services import orders, seed  # noqa: E402
from services.izipay import compute_hash  # noqa: E402
from utils.money import to_cents  # noqa: E402
from utils.passwords import hash_password  # noqa: E402

PASSWORD = "testpassword_BENCHKEY"
IZIPAY = {
    "IZIPAY_USERNAME": "12345678",
    "IZIPAY_PASSWORD": PASSWORD,
    "IZIPAY_PUBLIC_KEY": "12345678:testpublickey_BENCH",
    "IZIPAY_HMAC_KEY": "benchhmackey",
}
TEMPLATES = setting("BENCH_TEMPLATES", 200, 20)
REQUESTS = setting("BENCH_REQUESTS", 300, 20)
ORDERS = setting("BENCH_ORDERS", 150, 10)
PATHS = (
    "/api/plans",
    "/api/templates?per_page=20",
    "/api/templates?q=dise&per_page=50",
    "/api/templates/categories",
    "/health",
)
PAID = "POST ipn: PAID (pays + provisions 1)"
AGAIN = "POST ipn: the same notification again"


def report(label: str, samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    print(
        f"{label:<44} n={len(ordered):<4} median {statistics.median(ordered):6.2f} ms"
        f"   p95 {p95:6.2f} ms"
    )
    return statistics.median(ordered), p95


def timed(call) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code < 300, (response.status_code, response.get_data(as_text=True))
    return elapsed


def signed_ipn(order, uuid: str) -> dict[str, str]:
    answer = {
        "shopId": "12345678",
        "orderCycle": "CLOSED",
        "orderStatus": "PAID",
        "orderDetails": {
            "orderTotalAmount": to_cents(order.total),
            "orderCurrency": "PEN",
            "mode": "TEST",
            "orderId": order.order_number,
        },
        "transactions": [
            {
                "uuid": uuid,
                "amount": to_cents(order.total),
                "currency": "PEN",
                "status": "PAID",
                "detailedStatus": "CAPTURED",
            }
        ],
        "_type": "V4/Payment",
    }
    raw = json.dumps(answer, separators=(",", ":"))
    return {
        "kr-hash": compute_hash(PASSWORD, raw),
        "kr-hash-algorithm": "sha256_hmac",
        "kr-hash-key": "password",
        "kr-answer-type": "V4/Payment",
        "kr-answer": raw,
    }


def measure(url: str) -> dict[str, tuple[float, float]]:
    """Median and p95 (ms) of each request on the database at `url`, printed as they come."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, **IZIPAY})
    with app.app_context():
        upgrade()
        seed.seed_reference_data(None, None)
        for n in range(TEMPLATES):
            db.session.add(
                Template(
                    name=f"Diseño {n}",
                    slug=f"bench-{n}",
                    category=CATEGORIES[n % 6],
                    price=Decimal("10.00"),
                    config={},
                )
            )
        buyer = User(
            email="bench@example.com",
            password_hash=hash_password("clave12345"),
            first_name="B",
            last_name="B",
        )
        db.session.add(buyer)
        db.session.commit()
        plan = db.session.query(Plan).first()
        template = db.session.query(Template).first()
        pending = [
            orders.checkout(
                buyer, [{"plan_id": plan.id, "template_id": template.id, "quantity": 1}]
            )
            for _ in range(ORDERS)
        ]
        notifications = [signed_ipn(order, f"{n:032x}") for n, order in enumerate(pending)]

    client = app.test_client()
    print(f"database: {url.split('://')[0]}; {TEMPLATES + 8} templates; {ORDERS} orders")
    figures = {}
    for path in PATHS:
        client.get(path)
        samples = [timed(lambda p=path: client.get(p)) for _ in range(REQUESTS)]
        figures[f"GET {path}"] = report(f"GET {path}", samples)

    ipn = "/api/payments/izipay/ipn"
    for label in (PAID, AGAIN):
        samples = [timed(lambda f=f: client.post(ipn, data=f)) for f in notifications]
        figures[label] = report(label, samples)
    with app.app_context():
        db.engine.dispose()
    return figures


def main():
    results = Results("api_latency", "In-process latency: catalogue and Izipay notifications")
    results.settings = {
        "templates": TEMPLATES + 8,
        "requests per GET": REQUESTS,
        "notifications": ORDERS,
        "client": "Flask test client (no HTTP)",
    }
    with tempfile.TemporaryDirectory() as folder:
        measured = {"SQLite": measure(f"sqlite:///{folder}/bench.db")}
        url, database = database_url(Path(folder))
        if database is not None:
            try:
                measured["MariaDB"] = measure(url)
            finally:
                drop_database(database)
        else:
            print("MariaDB did not answer: SQLite only")
            results.note("MariaDB did not answer (BENCH_DATABASE_URL): SQLite only.")
    sqlite = measured["SQLite"]
    for engine, figures in measured.items():
        for label, (median, p95) in figures.items():
            for index, statistic in enumerate(("median", "p95")):
                if engine == "MariaDB":
                    baseline, value = f"SQLite, same request, {statistic}", sqlite[label][index]
                elif label == AGAIN:
                    baseline, value = f"SQLite, {PAID}, {statistic}", figures[PAID][index]
                else:
                    baseline = value = None
                results.add(
                    f"{engine}: {label}, {statistic}",
                    (median, p95)[index],
                    "ms",
                    baseline=baseline,
                    baseline_value=value,
                )
    results.note(
        "MariaDB rows against the same request on SQLite: the price of a database over TCP "
        "(on this machine) for the same work. The same notification again is answered "
        "without paying twice: its ratio to the first delivery is what a retry costs."
    )
    results.save()


if __name__ == "__main__":
    main()
