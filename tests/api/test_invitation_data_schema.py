"""The editor's schema is derived from the InvitationData model, not from a hand-kept list."""

from datetime import date
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from api.schemas.invitations import InvitationDataSchema
from models.invitation_data import InvitationData

NOT_EDITABLE = {"id", "invitation_id", "created_at", "updated_at"}


def test_every_column_but_keys_and_timestamps_is_editable():
    columns = {column.key for column in InvitationData.__table__.columns}

    fields = set(InvitationDataSchema().fields)

    assert fields == columns - NOT_EDITABLE
    assert {"cover_media_id", "music_media_id", "og_image_media_id", "custom_fields"} <= fields
    assert len(fields) > 60


def test_a_partial_edit_loads_with_the_column_types():
    loaded = InvitationDataSchema(partial=True).load(
        {"title": "Boda de Ana y Luis", "rsvp_deadline": "2027-03-01", "ceremony_latitude": "-12.5"}
    )

    assert loaded == {
        "title": "Boda de Ana y Luis",
        "rsvp_deadline": date(2027, 3, 1),
        "ceremony_latitude": Decimal("-12.5"),
    }


@pytest.mark.parametrize(
    "data, field",
    [
        ({"title": "x" * 201}, "title"),
        ({"theme_primary_color": "#1E88E5FF"}, "theme_primary_color"),
        ({"rsvp_enabled": None}, "rsvp_enabled"),
        ({"language": "fr"}, "language"),
        ({"invitation_id": 7}, "invitation_id"),
        ({"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_lengths_nullability_and_keys_come_from_the_model(data, field):
    with pytest.raises(ValidationError) as refused:
        InvitationDataSchema(partial=True).load(data)

    assert field in refused.value.messages
