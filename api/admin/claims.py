"""Admin: the Libro de Reclamaciones, its deadlines and the answers."""

from flask_jwt_extended import current_user

from api.admin import blp
from api.schemas.claims import (
    AdminClaimDetailSchema,
    AdminClaimQueryArgs,
    AdminClaimSchema,
    ClaimResponseSchema,
)
from api.schemas.common import page_of
from services import claims


@blp.get("/claims")
@blp.admin_required
@blp.arguments(AdminClaimQueryArgs, location="query")
@blp.response(200, page_of(AdminClaimSchema))
def list_claims(args):
    """Claims newest first; `overdue=true`: not answered and past the due date."""
    return claims.admin_list_claims(**args)


@blp.get("/claims/<int:claim_id>")
@blp.admin_required
@blp.response(200, AdminClaimDetailSchema)
@blp.alt_response(404, schema="Error")
def get_claim(claim_id: int):
    """One claim with every field and the business days left to answer it."""
    return claims.admin_get_claim(claim_id)


@blp.post("/claims/<int:claim_id>/review")
@blp.admin_required
@blp.response(200, AdminClaimDetailSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error", description="`invalid_state`: not pending")
def review_claim(claim_id: int):
    """Mark a pending claim as being looked into (`in_review`)."""
    return claims.admin_review_claim(current_user, claim_id)


@blp.post("/claims/<int:claim_id>/respond")
@blp.admin_required
@blp.arguments(ClaimResponseSchema)
@blp.response(200, AdminClaimDetailSchema)
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error", description="`invalid_state`: already answered")
def respond_claim(data, claim_id: int):
    """Answer a claim: it becomes `answered` and the answer is e-mailed to the consumer."""
    return claims.admin_respond_claim(current_user, claim_id, data["response"])
