"""Ownership: a customer reaches only their own rows; anyone else's is a plain 404."""

from sqlalchemy import select

from extensions import db
from models.user import User
from services.exceptions import NotFoundError


def get_owned(model, user: User, *conditions, options=(), not_found=NotFoundError):
    """The `model` row matching `conditions` that belongs to `user`, else `not_found`.

    Another user's row raises the same 404 as a missing one, so ids and numbers of
    other customers cannot be probed.
    """
    row = db.session.scalar(
        select(model).where(model.user_id == user.id, *conditions).options(*options)
    )
    if row is None:
        raise not_found()
    return row
