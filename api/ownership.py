"""Routes of one own invitation answer 404 for anyone else's before they read a body."""

import functools

from flask_jwt_extended import current_user

from services.invitations import get_owned_invitation


def owner_first(view):
    """A 422 about the body would tell a stranger that the invitation exists: check first."""

    @functools.wraps(view)
    def wrapper(*args, invitation_id: int, **kwargs):
        get_owned_invitation(current_user, invitation_id)
        return view(*args, invitation_id=invitation_id, **kwargs)

    return wrapper
