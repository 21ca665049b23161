"""Testimonials: what the public reads, what a customer sends, what the admin moderates."""

from flask_marshmallow.sqla import SQLAlchemyAutoSchema, SQLAlchemySchema
from marshmallow import Schema, fields, validate
from marshmallow_sqlalchemy import auto_field

from api.schemas.catalog import Category
from api.schemas.common import PaginationArgs
from api.schemas.fields import (
    MULTILINE_NOT_BLANK_PATTERN,
    Bool,
    MultilineText,
    NonBlankText,
    Pattern,
)
from models.testimonial import Testimonial
from services.testimonials import MODERATION_STATUSES

MESSAGE_MIN, MESSAGE_MAX = 10, 2000
DISPLAY_ORDER_MAX = 10_000


class TestimonialSchema(SQLAlchemySchema):
    """A testimonial as the public sees it: no user id, no e-mail."""

    class Meta:
        model = Testimonial

    id = auto_field()
    author_name = auto_field()
    event_type = Category(allow_none=True)
    message = auto_field()
    rating = auto_field()
    is_featured = auto_field()
    created_at = auto_field()


class OwnTestimonialSchema(TestimonialSchema):
    """The author's own testimonial: also whether it is approved yet."""

    is_approved = auto_field()


class TestimonialCreateSchema(Schema):
    message = MultilineText(
        required=True,
        validate=[
            validate.Length(min=MESSAGE_MIN, max=MESSAGE_MAX),
            Pattern(MULTILINE_NOT_BLANK_PATTERN, error="Must not be blank."),
        ],
    )
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    author_name = NonBlankText(
        150,
        allow_none=True,
        metadata={"description": "Left out or null: the first name and last initial (Ana Q.)."},
    )
    event_type = Category(allow_none=True)


# --- Admin ---------------------------------------------------------------------------------


class AdminTestimonialSchema(SQLAlchemyAutoSchema):
    """Every column of a testimonial, and its author's e-mail (null once the account is gone)."""

    class Meta:
        model = Testimonial
        include_fk = True

    event_type = Category(allow_none=True)
    user_email = fields.Function(
        lambda testimonial: testimonial.user.email if testimonial.user else None,
        allow_none=True,
        metadata={"type": "string"},
    )


class TestimonialUpdateSchema(Schema):
    is_approved = Bool()
    # Only an approved testimonial (after this change) may be featured.
    is_featured = Bool()
    display_order = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=DISPLAY_ORDER_MAX)
    )


class TestimonialQueryArgs(PaginationArgs):
    status = fields.String(validate=validate.OneOf(MODERATION_STATUSES))
