"""What a paid order delivers: its invitations, each with its data row and a random main link."""

import secrets
import string
from collections import Counter
from typing import TypeGuard

from sqlalchemy import exists, insert, select

from extensions import db
from models.invitation import Invitation
from models.invitation_data import InvitationData
from models.invitation_url import KIND_MAIN, InvitationUrl
from models.order import HELD_PAYMENT_STATUSES, STATUS_PAID, Order
from models.retired_link_code import RetiredLinkCode
from models.template import Template
from services.exceptions import InvalidStateError
from utils.db import lock_one, transactional

# Lower-case only: MariaDB's collation compares codes case-insensitively.
LINK_CODE_ALPHABET = string.ascii_lowercase + string.digits
LINK_CODE_LENGTH = 10


class OrderNotPaidError(InvalidStateError):
    message = "Only a paid order provisions invitations."


def new_link_code() -> str:
    """A random, URL-safe, lower-case code no link uses yet and no erased link used."""
    while True:
        code = _random_code()
        used, retired = db.session.execute(
            select(
                exists().where(InvitationUrl.code == code),
                exists().where(RetiredLinkCode.code == code),
            )
        ).one()
        if not used and not retired:
            return code


def _random_code() -> str:
    return "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))


def code_is_retired(code: str) -> bool:
    """True for the code of a link erased with its invitation (compared lower-cased, as
    codes resolve)."""
    return bool(db.session.scalar(select(exists().where(RetiredLinkCode.code == code.lower()))))


def retire_link_codes(invitation_ids: list[int]) -> None:
    """Inside the transaction deleting these invitations: keep a tombstone of every code of
    their links (main, custom and guest, active or not), so that none is ever given to
    another invitation (a printed QR code would open a stranger's page)."""
    if not invitation_ids:
        return
    codes = db.session.scalars(
        select(InvitationUrl.code)
        .where(InvitationUrl.invitation_id.in_(invitation_ids))
        .with_for_update()
    ).all()
    if codes:
        db.session.execute(
            insert(RetiredLinkCode), [{"code": code.lower()} for code in sorted(set(codes))]
        )


def build_invitation(
    *,
    user_id: int,
    template_id: int,
    plan_id: int | None = None,
    order_id: int | None = None,
    title: str = "",
) -> Invitation:
    """A new invitation with its InvitationData row (the template's colours, fonts and
    sections) and its `main` link, added to the session."""
    invitation = Invitation(
        user_id=user_id, template_id=template_id, plan_id=plan_id, order_id=order_id, title=title
    )
    template = db.session.get(Template, template_id)
    invitation.data = InvitationData.from_template_config(template.config if template else None)
    invitation.data.title = title
    invitation.urls.append(InvitationUrl(kind=KIND_MAIN, code=new_link_code()))
    db.session.add(invitation)
    return invitation


@transactional
def provision_order(order: Order) -> list[Invitation]:
    """Give a paid order its invitations; calling it again creates nothing more.

    An item naming a draft of the order's owner pays for that draft (it gets the order and
    the item's plan). Every other item yields `quantity` new invitations with its plan and
    template. Invitations the order already has (even ones deleted since) count as delivered.
    Returns every invitation of the order, oldest first.
    """
    locked = lock_one(Order, Order.id == order.id)
    if locked is None or locked.status != STATUS_PAID:
        raise OrderNotPaidError()
    existing = list(db.session.scalars(select(Invitation).where(Invitation.order_id == order.id)))
    named: set[int] = set()
    wanted: Counter[tuple[int, int]] = Counter()
    for item in order.items:
        draft = db.session.get(Invitation, item.invitation_id) if item.invitation_id else None
        if draft is not None and draft.order_id == order.id:
            named.add(draft.id)
        elif _is_open_draft(draft, order):
            _pay_for_draft(draft, order, item.plan_id)
            named.add(draft.id)
        else:
            wanted[(item.plan_id, item.template_id)] += item.quantity
    delivered = Counter(
        (invitation.plan_id, invitation.template_id)
        for invitation in existing
        if invitation.id not in named
    )
    titles = {(item.plan_id, item.template_id): item.template_name for item in order.items}
    for (plan_id, template_id), count in wanted.items():
        for _ in range(count - delivered[(plan_id, template_id)]):
            build_invitation(
                user_id=order.user_id,
                template_id=template_id,
                plan_id=plan_id,
                order_id=order.id,
                title=titles[(plan_id, template_id)],
            )
    db.session.flush()
    return list(
        db.session.scalars(
            select(Invitation).where(Invitation.order_id == order.id).order_by(Invitation.id)
        )
    )


def _is_open_draft(draft: Invitation | None, order: Order) -> TypeGuard[Invitation]:
    return (
        draft is not None
        and draft.user_id == order.user_id
        and draft.deleted_at is None
        and (draft.order is None or draft.order.status not in HELD_PAYMENT_STATUSES)
    )


def _pay_for_draft(draft: Invitation, order: Order, plan_id: int) -> None:
    draft.order_id = order.id
    draft.plan_id = plan_id
    if draft.data is None:
        draft.data = InvitationData()
    if not any(url.kind == KIND_MAIN for url in draft.urls):
        draft.urls.append(InvitationUrl(kind=KIND_MAIN, code=new_link_code()))
