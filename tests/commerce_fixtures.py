"""Helpers shared by the commerce tests: cart bodies, checkouts, reading rows afresh."""

from sqlalchemy import func, select

from extensions import db


def line(plan, template, quantity=1, **extra) -> dict:
    return {"plan_id": plan.id, "template_id": template.id, "quantity": quantity, **extra}


def cart(*lines, coupon_code=None) -> dict:
    body: dict = {"items": list(lines)}
    if coupon_code is not None:
        body["coupon_code"] = coupon_code
    return body


def checkout(client, headers, *lines, coupon_code=None):
    return client.post(
        "/api/cart/checkout", json=cart(*lines, coupon_code=coupon_code), headers=headers
    )


def fresh(model, ident):
    """The row as the database has it now (not the test session's cached copy), or None."""
    db.session.rollback()
    query = select(model).where(model.id == ident).execution_options(populate_existing=True)
    return db.session.scalar(query)


def count(model, *conditions) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))
