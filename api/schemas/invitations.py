"""Invitations: the editable content (`invitation_data`), derived from its model."""

from marshmallow.validate import OneOf

from extensions import ma
from models.invitation_data import LANGUAGES, InvitationData


class InvitationDataSchema(ma.SQLAlchemyAutoSchema):
    """Every editable column of InvitationData: a column added to the model is editable here
    too, with its type, length and nullability; the row's keys and timestamps are not."""

    class Meta:
        model = InvitationData
        # The media ids (cover, music, og image) are editable foreign keys.
        include_fk = True
        exclude = ("id", "invitation_id", "created_at", "updated_at")

    language = ma.auto_field(validate=OneOf(LANGUAGES))
