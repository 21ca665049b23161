"""The admin panel's API (role admin; everyone else gets 403 `forbidden`), one module per domain.

Every module adds its routes to this one Blueprint, under /api/admin; a new domain adds
api/admin/<domain>.py, its schemas to api/schemas/<domain>.py and its `admin_<verb>_<noun>`
services to services/<domain>.py.
"""

from api.blueprint import Blueprint

blp = Blueprint("admin", __name__, url_prefix="/api/admin", description="Administration")

# Imported for their routes, once `blp` exists.
from api.admin import (  # noqa: E402, F401
    audit,
    catalog,
    claims,
    coupons,
    invitations,
    orders,
    stats,
    testimonials,
    users,
)
