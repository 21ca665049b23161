"""Provisioning: a paid order's invitations, drafts paid for, and idempotency."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models.invitation import Invitation
from models.invitation_data import InvitationData
from models.invitation_url import InvitationUrl
from models.order import Order, OrderItem
from services import orders
from services.provisioning import OrderNotPaidError, provision_order

D = Decimal


def _paid_order(user, *items, status="paid") -> Order:
    """An order of `user` with `items` = (plan, template, quantity, draft or None)."""
    order = Order(
        order_number=orders.new_order_number(),
        user_id=user.id,
        status=status,
        payment_status="paid" if status == "paid" else "unpaid",
        subtotal=D("0"),
        total=D("0"),
    )
    for plan, template, quantity, draft in items:
        order.items.append(
            OrderItem(
                plan_id=plan.id,
                template_id=template.id,
                invitation_id=draft.id if draft else None,
                plan_name=plan.name,
                template_name=template.name,
                quantity=quantity,
                unit_price=D("0"),
                line_total=D("0"),
            )
        )
    db.session.add(order)
    db.session.commit()
    return order


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_each_unit_becomes_an_invitation_with_data_and_a_main_link(make):
    user = make.user()
    standard, exclusive = make.plan(), make.plan()
    boda, quince = make.template(name="Eterno Amor"), make.template(category="quinceanos")
    order = _paid_order(user, (standard, boda, 2, None), (exclusive, quince, 1, None))

    invitations = provision_order(order)

    assert len(invitations) == 3
    assert sorted((i.plan_id, i.template_id) for i in invitations) == sorted(
        [(standard.id, boda.id), (standard.id, boda.id), (exclusive.id, quince.id)]
    )
    for invitation in invitations:
        assert invitation.user_id == user.id
        assert invitation.order_id == order.id
        assert invitation.is_published is False
        assert invitation.data is not None
        [main] = invitation.urls
        assert main.kind == "main"
        assert re.fullmatch(r"[a-z0-9]{10}", main.code)
    assert invitations[0].title == "Eterno Amor"
    assert len({i.urls[0].code for i in invitations}) == 3


def test_provisioning_twice_creates_nothing_more(make):
    user = make.user()
    plan, template = make.plan(), make.template()
    draft = make.invitation(user=user, template=template)
    order = _paid_order(user, (plan, template, 3, None), (plan, template, 1, draft))

    first = provision_order(order)
    second = provision_order(order)

    assert [i.id for i in first] == [i.id for i in second]
    assert len(first) == 4
    assert _count(Invitation) == 4
    assert _count(InvitationData) == 4
    assert _count(InvitationUrl) == 4


def test_an_invitation_deleted_since_is_not_delivered_again(make):
    user = make.user()
    plan, template = make.plan(), make.template()
    order = _paid_order(user, (plan, template, 2, None))
    [kept, deleted] = provision_order(order)
    deleted.deleted_at = deleted.created_at
    db.session.commit()

    again = provision_order(order)

    assert {i.id for i in again} == {kept.id, deleted.id}


def test_a_draft_named_on_an_item_is_paid_for_not_duplicated(make):
    user = make.user()
    plan, template = make.plan(), make.template()
    draft = make.invitation(user=user, template=template)
    order = _paid_order(user, (plan, template, 1, draft))

    invitations = provision_order(order)

    assert [i.id for i in invitations] == [draft.id]
    assert (draft.order_id, draft.plan_id) == (order.id, plan.id)
    assert draft.data is not None
    assert [url.kind for url in draft.urls] == ["main"]


def test_a_draft_already_paid_by_another_order_gets_a_new_invitation(make):
    user = make.user()
    plan, template = make.plan(), make.template()
    draft = make.invitation(user=user, template=template)
    earlier = _paid_order(user, (plan, template, 1, draft))
    provision_order(earlier)
    later = _paid_order(user, (plan, template, 1, draft))

    invitations = provision_order(later)

    assert len(invitations) == 1 and invitations[0].id != draft.id
    assert draft.order_id == earlier.id


def test_someone_elses_draft_is_never_taken(make):
    owner, buyer = make.user(), make.user()
    plan, template = make.plan(), make.template()
    draft = make.invitation(user=owner, template=template)
    order = _paid_order(buyer, (plan, template, 1, draft))

    invitations = provision_order(order)

    assert invitations[0].user_id == buyer.id and invitations[0].id != draft.id
    assert draft.order_id is None


@pytest.mark.parametrize("status", ["pending", "cancelled", "expired", "refunded"])
def test_only_a_paid_order_is_provisioned(make, status):
    user = make.user()
    order = _paid_order(user, (make.plan(), make.template(), 1, None), status=status)

    with pytest.raises(OrderNotPaidError):
        provision_order(order)

    assert _count(Invitation) == 0


def test_paying_through_the_state_machine_provisions_once(make):
    user = make.user()
    order = _paid_order(user, (make.plan(), make.template(), 2, None), status="pending")

    orders.mark_order_paid(order)
    provision_order(order)  # a repeated PAID notification

    assert _count(Invitation) == 2
