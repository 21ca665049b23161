"""In-process latency of the catalogue and of Izipay notifications (no network in the way).

Run: `make bench`. A throw-away SQLite database (or BENCH_DATABASE_URL); the test
client calls the WSGI app directly, so the numbers are the app's own cost.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
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
TEMPLATES = 200
REQUESTS = 300
ORDERS = 150


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    print(
        f"{label:<44} n={len(ordered):<4} median {statistics.median(ordered):6.2f} ms"
        f"   p95 {p95:6.2f} ms"
    )


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


def main():
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.db")
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
        for path in (
            "/api/plans",
            "/api/templates?per_page=20",
            "/api/templates?q=dise&per_page=50",
            "/api/templates/categories",
            "/health",
        ):
            client.get(path)
            report(f"GET {path}", [timed(lambda p=path: client.get(p)) for _ in range(REQUESTS)])

        ipn = "/api/payments/izipay/ipn"
        report(
            "POST ipn: PAID (pays + provisions 1)",
            [timed(lambda f=f: client.post(ipn, data=f)) for f in notifications],
        )
        report(
            "POST ipn: the same notification again",
            [timed(lambda f=f: client.post(ipn, data=f)) for f in notifications],
        )


if __name__ == "__main__":
    main()
