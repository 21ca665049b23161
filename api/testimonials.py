"""Customers' testimonials: the approved ones for everyone, a new one from a paying customer."""

from flask_jwt_extended import current_user

from api.blueprint import Blueprint
from api.schemas.common import PaginationArgs, page_of
from api.schemas.testimonials import (
    OwnTestimonialSchema,
    TestimonialCreateSchema,
    TestimonialSchema,
)
from services import testimonials

blp = Blueprint(
    "testimonials", __name__, url_prefix="/api/testimonials", description="Testimonials"
)


@blp.get("")
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, page_of(TestimonialSchema))
def list_testimonials(args):
    """Approved testimonials: featured first, then by display order, then newest."""
    return testimonials.list_approved_testimonials(**args)


@blp.post("")
@blp.login_required
@blp.arguments(TestimonialCreateSchema)
@blp.response(201, OwnTestimonialSchema)
@blp.alt_response(403, schema="Error")
@blp.alt_response(409, schema="Error")
def create_testimonial(data):
    """Leave a testimonial (needs a paid order; one awaiting approval at a time)."""
    return testimonials.submit_testimonial(current_user, data)
