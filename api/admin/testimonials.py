"""Admin: moderating testimonials."""

from flask_jwt_extended import current_user

from api.admin import blp
from api.schemas.common import page_of
from api.schemas.testimonials import (
    AdminTestimonialSchema,
    TestimonialQueryArgs,
    TestimonialUpdateSchema,
)
from services import testimonials


@blp.get("/testimonials")
@blp.admin_required
@blp.arguments(TestimonialQueryArgs, location="query")
@blp.response(200, page_of(AdminTestimonialSchema))
def list_testimonials(args):
    """Testimonials, newest first, with their author's id and e-mail; `status` filters."""
    return testimonials.admin_list_testimonials(**args)


@blp.patch("/testimonials/<int:testimonial_id>")
@blp.admin_required
@blp.arguments(TestimonialUpdateSchema)
@blp.response(200, AdminTestimonialSchema)
@blp.alt_response(404, schema="Error")
def update_testimonial(changes, testimonial_id: int):
    """Approve, feature or order a testimonial (a featured one must be approved)."""
    return testimonials.admin_update_testimonial(current_user, testimonial_id, changes)


@blp.delete("/testimonials/<int:testimonial_id>")
@blp.admin_required
@blp.response(204)
@blp.alt_response(404, schema="Error")
def delete_testimonial(testimonial_id: int):
    """Delete a testimonial."""
    testimonials.admin_delete_testimonial(current_user, testimonial_id)
