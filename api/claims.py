"""The Libro de Reclamaciones: anyone files a claim and follows it with its code and e-mail."""

from flask_jwt_extended import get_current_user

from api.blueprint import Blueprint
from api.schemas.claims import (
    ClaimCreateSchema,
    ClaimReceiptSchema,
    ClaimStatusSchema,
    ClaimTrackingArgs,
)
from services import claims
from utils.rate_limits import rate_limit

blp = Blueprint("claims", __name__, url_prefix="/api/claims", description="Libro de Reclamaciones")


@blp.post("")
@rate_limit("claims")
@blp.login_optional
@blp.arguments(ClaimCreateSchema)
@blp.response(201, ClaimReceiptSchema)
@blp.alt_response(422, schema="Error")
@blp.alt_response(429, schema="Error")
def file_claim(data):
    """File a reclamo or queja; the answer is due in 15 business days, a copy goes by e-mail.
    A signed-in filer may link one of their orders."""
    return claims.file_claim(data, get_current_user())


@blp.get("/<code>")
@rate_limit("claim_lookup", "claim_lookup_ip")
@blp.arguments(ClaimTrackingArgs, location="query")
@blp.response(200, ClaimStatusSchema)
@blp.alt_response(404, schema="Error", description="Unknown code, or not this e-mail's")
@blp.alt_response(429, schema="Error", description="Too many lookups of this code, or from here")
def get_claim(args, code: str):
    """Where a claim stands, for whoever has its code and the e-mail it was filed with."""
    return claims.track_claim(code, args.get("email"))
