"""An invitation's media: the multipart upload and the edits of what was uploaded."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import FileUpload, Id, Text
from models.invitation_media import MEDIA_TYPES

MAX_CAPTION = 300
MAX_MEDIA_IDS = 1_000


class MediaUploadSchema(Schema):
    """The multipart form of an upload."""

    file = FileUpload(
        required=True,
        metadata={"description": "JPEG, PNG or WebP; MP3 or M4A for `music`."},
    )
    media_type = fields.String(required=True, validate=validate.OneOf(MEDIA_TYPES))
    caption = Text(validate=validate.Length(max=MAX_CAPTION))


class MediaUpdateSchema(Schema):
    caption = Text(required=True, allow_none=True, validate=validate.Length(max=MAX_CAPTION))


class MediaOrderSchema(Schema):
    ids = fields.List(
        Id(),
        required=True,
        validate=validate.Length(max=MAX_MEDIA_IDS),
        metadata={
            "uniqueItems": True,
            "description": "Every media id of the invitation, once each, in the new order.",
        },
    )
