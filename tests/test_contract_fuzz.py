"""Contract fuzzing: schemathesis sends what the OpenAPI document allows (and what it does
not) to the app served on a local port, with every check it runs by default.

A failure means the document and the server disagree: a 5xx, a response off its schema,
a request the document calls valid refused, one it calls invalid accepted, a route that
ignores missing credentials. `make fuzz` runs it with 25 examples per operation
(FUZZ_EXAMPLES); the suite runs a few, with a fixed seed.
"""

import json
import os
import re
import threading

import pytest
import schemathesis
from schemathesis.engine import from_schema
from schemathesis.engine.events import FatalError, NonFatalError, ScenarioFinished
from werkzeug.serving import make_server

from extensions import db
from models.user import User
from services.tokens import issue_token_pair
from tests import factories
from utils.passwords import MAX_PASSWORD_BYTES, TOO_MANY_BYTES

# Many seconds long: started first, so both xdist workers finish together (conftest).
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing,stateful").split(",")
SEED = int(os.environ.get("FUZZ_SEED", "20261202"))

# Refusals the document cannot state, by operation: they depend on rows (an unknown coupon,
# plan, template or draft), on two fields together (a range, a percentage over 100), on a
# password's length in UTF-8 bytes (`_beyond_bcrypt`) or on a date's year (2000 to 2199,
# which OpenAPI 3.0 cannot bound for a `date` or `date-time` string). A
# request the document calls valid may get exactly these 422s and no other.
CART_REFUSAL = re.compile(r"items\.\d+\.(plan_id|template_id|invitation_id)")
NO_FIELD = re.compile(r"(?!)")
DOMAIN_REFUSALS = {
    "POST /api/auth/register": NO_FIELD,
    "POST /api/auth/change-password": NO_FIELD,
    "POST /api/cart/summary": CART_REFUSAL,
    "POST /api/cart/checkout": CART_REFUSAL,
    "POST /api/coupons/validate": None,
    "POST /api/admin/coupons": re.compile(r"discount_value|valid_from|valid_until|plan_ids"),
    "PATCH /api/admin/coupons/{coupon_id}": re.compile(
        r"discount_value|valid_from|valid_until|plan_ids"
    ),
    # Only an approved testimonial may be featured (the row as it stands plus the change).
    "PATCH /api/admin/testimonials/{testimonial_id}": re.compile(r"is_featured"),
    "GET /api/admin/orders": re.compile(r"date_to"),
    "GET /api/admin/stats": re.compile(r"date_to"),
    "POST /api/invitations": re.compile(r"template_id"),
    "PATCH /api/invitations/{invitation_id}": re.compile(r"template_id"),
    # Media of this invitation and of a fitting kind; the full set of event ids; times in order;
    # custom_fields' key length, which OpenAPI 3.0 cannot state for object keys.
    "PATCH /api/editor/{invitation_id}/data": re.compile(
        r"cover_media_id|music_media_id|og_image_media_id|event_date|rsvp_deadline|custom_fields\..*"
    ),
    "PUT /api/editor/{invitation_id}/events/order": re.compile(r"ids"),
    "POST /api/editor/{invitation_id}/events": re.compile(r"starts_at|ends_at"),
    "PATCH /api/editor/{invitation_id}/events/{event_id}": re.compile(r"starts_at|ends_at"),
    "PUT /api/editor/{invitation_id}/media/order": re.compile(r"ids"),
    # What a file holds (a real image or song, its pixel count) is read from its bytes.
    "POST /api/editor/{invitation_id}/media": re.compile(r"file"),
    # Whether a file is a CSV guest list (its header, its rows) is read from its bytes.
    "POST /api/invitations/{invitation_id}/urls/import": re.compile(r"file|rows"),
    # A well-formed reset token that no e-mail carried, or one already used or expired.
    "POST /api/auth/reset-password": re.compile(r"token"),
    # A confirmation brings at least one person and a decline nobody (a rule across two
    # fields), and a phone must be a Peruvian mobile or international.
    "POST /api/public/invitations/{code}/rsvp": re.compile(r"number_of_guests|phone"),
    # The document number's rule depends on document_type, a minor needs a guardian (rules
    # across two fields), and an order must be one of the signed-in filer's.
    "POST /api/claims": re.compile(r"document_number|guardian_name|order_number"),
}
# 412: a stale If-Match the fuzzer made up is refused, as documented; 415: a file whose bytes
# are no accepted type, which a schema cannot tell.
ACCEPTED_OR_EXPLAINED = [
    "2xx", "3xx", "401", "403", "404", "409", "412", "415", "422", "429", "5xx",
]  # fmt: skip


@schemathesis.check
def refusal_is_a_domain_rule(ctx, response, case):
    """On the operations above, a valid request's 422 must be one of their domain refusals."""
    label = f"{case.method} {case.operation.path}"
    if label not in DOMAIN_REFUSALS or response.status_code != 422:
        return None
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    body = json.loads(response.content)
    # A coupon that does not apply, or an Idempotency-Key the fuzzer reused with another body.
    if body["error"] in ("coupon_invalid", "idempotency_key_reused"):
        return None
    allowed = DOMAIN_REFUSALS[label]
    fields = list(body.get("details") or {})
    if body["error"] != "validation_error" or allowed is None or not fields:
        raise AssertionError(f"A valid request was refused: {body}")
    unexplained = [
        name
        for name in fields
        if not (allowed.fullmatch(name) or _beyond_bcrypt(case.body, name, body["details"][name]))
    ]
    if unexplained:
        raise AssertionError(f"A valid request was refused for {unexplained}: {body}")
    return None


def _beyond_bcrypt(sent, field: str, problems) -> bool:
    """The one password rule JSON Schema cannot state (its description does): UTF-8 bytes."""
    value = sent.get(field) if isinstance(sent, dict) else None
    return (
        problems == [TOO_MANY_BYTES]
        and isinstance(value, str)
        and len(value.encode()) > MAX_PASSWORD_BYTES
    )


def fuzz_config(examples: int, seed: int) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": seed,
            "workers": 1,
            "generation": {"max-examples": examples, "database": "none"},
            "cache": {"enabled": False},
            "phases": {
                name: {"enabled": name in PHASES}
                for name in ("examples", "coverage", "fuzzing", "stateful")
            },
            "operations": [
                {
                    "include-name": list(DOMAIN_REFUSALS),
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": ACCEPTED_OR_EXPLAINED}
                    },
                }
            ],
        }
    )


class Identities:
    """Fresh tokens per request: a customer, and the admin for /api/admin.

    The fuzzer logs out, rotates refresh tokens and, as the admin, disables or promotes
    users; each request gets a new token, and a customer that can no longer act as one is
    replaced by a new fixture user.
    """

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.customer_id = factories.user(email="fuzz-customer@example.com").id
            self.admin_id = factories.user(email="fuzz-admin@example.com", role="admin").id

    def token_for(self, path: str) -> str:
        kind = "refresh_token" if path == "/api/auth/refresh" else "access_token"
        with self.app.app_context():
            if path.startswith("/api/admin/"):
                user = db.session.get(User, self.admin_id)
            else:
                user = self._customer()
            return issue_token_pair(user)[kind]

    def _customer(self) -> User:
        user = db.session.get(User, self.customer_id)
        if user is None or not user.is_active or user.deleted_at is not None or user.is_admin:
            user = factories.user()
            self.customer_id = user.id
        return user


@pytest.fixture
def served_shop(shop_app, make):
    """The app (Izipay pointed at the local gateway) on a local port, with a catalogue."""
    make.plan()
    make.template()
    server = make_server("127.0.0.1", 0, shop_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def run_contract_fuzz(base_url: str, identities: Identities, *, examples: int, seed: int):
    """Every operation through every phase; returns (unique failures, errors, cases)."""
    schema = schemathesis.openapi.from_url(
        f"{base_url}/api/openapi.json", config=fuzz_config(examples, seed)
    )

    @schema.auth(refresh_interval=None)
    class FreshToken:
        def get(self, case, ctx):
            return identities.token_for(case.path)

        def set(self, case, data, ctx):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    failures: dict = {}
    errors: list[str] = []
    cases = 0
    for event in from_schema(schema).execute():
        if isinstance(event, ScenarioFinished):
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failures.setdefault(check.failure_info.failure, check.failure_info)
        elif isinstance(event, NonFatalError):
            errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, FatalError):
            errors.append(f"fatal: {event.exception!r}")
    return failures, errors, cases


def describe(failures: dict) -> str:
    return "\n\n".join(
        f"{failure.operation} [{failure.code}] {failure.title}\n{failure.message}\n"
        f"{info.code_sample}"
        for failure, info in failures.items()
    )


def test_server_behaves_as_its_openapi_document_says(shop_app, served_shop, capsys):
    identities = Identities(shop_app)

    failures, errors, cases = run_contract_fuzz(
        served_shop, identities, examples=EXAMPLES, seed=SEED
    )

    with capsys.disabled():
        print(
            f"\ncontract fuzz: {cases} cases, {EXAMPLES} examples per operation, seed {SEED}: "
            f"{len(failures)} unique failures, {len(errors)} errors"
        )
    assert not errors, "\n".join(errors)
    assert not failures, describe(failures)
