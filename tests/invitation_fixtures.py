"""Invitations as a customer gets them: drafts made through the API, paid through checkout."""

from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event

from extensions import db
from tests import factories

FULL_FEATURES = {
    "max_photos": 10,
    "max_events": 4,
    "max_guest_links": 100,
    "custom_slug": True,
    "music": True,
    "video": True,
    "rsvp": True,
    "online_days": 180,
}


def create_draft(client, headers, template, **body) -> dict:
    response = client.post(
        "/api/invitations", json={"template_id": template.id, **body}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def paid_invitation(client, headers, *, template=None, features=None, plan=None) -> dict:
    """A draft paid for with a free plan (checkout pays a 0.00 order at once)."""
    template = template or factories.template()
    plan = plan or factories.plan(price=Decimal("0.00"), features=features or dict(FULL_FEATURES))
    draft = create_draft(client, headers, template)
    item = {
        "plan_id": plan.id,
        "template_id": template.id,
        "quantity": 1,
        "invitation_id": draft["id"],
    }
    response = client.post("/api/cart/checkout", json={"items": [item]}, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "paid"
    return client.get(f"/api/invitations/{draft['id']}", headers=headers).get_json()


@contextmanager
def recorded_statements():
    """The SQL statements run inside the block, as a list filled in as they run."""
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
