"""`/api/editor/<id>/data`: every field of the invitation's content, its ETag and If-Match."""

from decimal import Decimal

import pytest

from extensions import db
from models.invitation import Invitation
from models.invitation_data import InvitationData
from models.invitation_media import InvitationMedia
from tests.invitation_fixtures import FULL_FEATURES

NOT_EDITABLE = {"id", "invitation_id", "created_at", "updated_at"}
# A new invitation's version; nothing refused may move it.
FIRST_VERSION = 1


@pytest.fixture
def invitation(make, owner):
    plan = make.plan(features=dict(FULL_FEATURES))
    invitation = make.invitation(user=owner)
    invitation.plan = plan
    db.session.add(InvitationData(invitation_id=invitation.id))
    db.session.commit()
    return invitation


def url(invitation) -> str:
    return f"/api/editor/{invitation.id}/data"


def media(invitation, media_type: str) -> InvitationMedia:
    row = InvitationMedia(
        invitation_id=invitation.id,
        media_type=media_type,
        storage_key=f"k/{media_type}",
        mime_type="image/jpeg",
        size_bytes=10,
        sha256="0" * 64,
    )
    db.session.add(row)
    db.session.commit()
    return row


def fields_named(response) -> set[str]:
    """The fields a 422 names (a nested one is dotted: `godparents.0.names`)."""
    return {name.split(".")[0] for name in response.get_json()["details"]}


def version_of(invitation) -> int:
    db.session.rollback()
    return db.session.get(Invitation, invitation.id).version


def test_get_answers_every_editable_column_with_an_etag(client, headers, invitation):
    response = client.get(url(invitation), headers=headers)

    body = response.get_json()
    columns = {column.key for column in InvitationData.__table__.columns} - NOT_EDITABLE
    assert response.status_code == 200
    assert set(body) == columns
    assert response.headers["ETag"] == f'"v{invitation.version}"'
    assert (body["timezone"], body["language"], body["rsvp_enabled"]) == (
        "America/Lima",
        "es",
        True,
    )


def test_a_missing_data_row_is_made_with_its_defaults(client, headers, make, owner):
    bare = make.invitation(user=owner)

    response = client.get(url(bare), headers=headers)

    assert response.status_code == 200
    assert response.get_json()["gallery_enabled"] is True


def test_patch_saves_some_fields_answers_all_and_bumps_the_version(client, headers, invitation):
    start = version_of(invitation)
    before = client.get(url(invitation), headers=headers)

    response = client.patch(
        url(invitation),
        json={
            "title": "Boda de Ana y Luis",
            "ceremony_latitude": -12.046374,
            "ceremony_longitude": -77.042793,
            "event_date": "2027-03-01T20:00:00-05:00",
            "rsvp_deadline": "2027-02-15",
            "ceremony_time": "16:30",
            "theme_primary_color": "#1E88E5",
            "godparents": [{"role": "Padrinos de anillos", "names": "Rosa y Pedro"}],
            "reserved_colors": ["#FFFFFF"],
            "sections": ["hero", "events", "rsvp"],
            "custom_fields": {"mesa": "12", "vip": True, "invitados": 3, "nota": None},
            "timezone": "Europe/Madrid",
            "contact_email": "ana@example.com",
            "default_max_guests": 4,
            "whatsapp_message": "Hola {guest_name}: {link}",
            "rsvp_notify_owner": False,
        },
        headers={**headers, "If-Match": before.headers["ETag"]},
    )

    body = response.get_json()
    assert response.status_code == 200, body
    assert response.headers["ETag"] == f'"v{start + 1}"'
    assert body["title"] == "Boda de Ana y Luis"
    assert body["ceremony_latitude"] == -12.046374
    assert body["event_date"].startswith("2027-03-02T01:00:00")
    assert body["custom_fields"] == {"mesa": "12", "vip": True, "invitados": 3, "nota": None}
    assert body["rsvp_notify_owner"] is False
    assert body["welcome_message"] is None and body["kids_allowed"] is True
    stored = db.session.scalar(
        db.select(InvitationData).where(InvitationData.invitation_id == invitation.id)
    )
    assert stored.ceremony_longitude == Decimal("-77.042793")
    assert version_of(invitation) == start + 1


def test_every_save_bumps_the_version_without_if_match(client, headers, invitation):
    start = version_of(invitation)
    first = client.patch(url(invitation), json={"title": "Uno"}, headers=headers)
    second = client.patch(url(invitation), json={}, headers=headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["ETag"] != second.headers["ETag"]
    assert version_of(invitation) == start + 2


def test_null_clears_a_nullable_field(client, headers, invitation):
    client.patch(
        url(invitation), json={"subtitle": "Algo", "hashtag": "#AnaYLuis"}, headers=headers
    )

    response = client.patch(url(invitation), json={"subtitle": None}, headers=headers)

    assert response.get_json()["subtitle"] is None
    assert response.get_json()["hashtag"] == "#AnaYLuis"


def test_the_editor_title_is_the_invitations_one_title(client, headers, invitation):
    client.patch(url(invitation), json={"title": "Boda de Ana y Luis"}, headers=headers)

    listed = client.get("/api/invitations", headers=headers).get_json()["items"]
    detail = client.get(f"/api/invitations/{invitation.id}", headers=headers).get_json()
    assert listed[0]["title"] == detail["title"] == detail["data"]["title"] == "Boda de Ana y Luis"

    renamed = client.patch(
        f"/api/invitations/{invitation.id}", json={"title": "Nuestra boda"}, headers=headers
    )
    assert renamed.get_json()["title"] == "Nuestra boda"
    assert client.get(url(invitation), headers=headers).get_json()["title"] == "Nuestra boda"


def test_clearing_the_title_gives_back_the_templates_name(client, headers, invitation):
    client.patch(url(invitation), json={"title": "Boda de Ana y Luis"}, headers=headers)

    cleared = client.patch(url(invitation), json={"title": None}, headers=headers)

    assert cleared.get_json()["title"] == invitation.template.name
    detail = client.get(f"/api/invitations/{invitation.id}", headers=headers).get_json()
    assert detail["title"] == invitation.template.name


@pytest.mark.parametrize("stale", ['"v999"', '"nonsense"', 'W/"v1"', '"v0", "v3"'])
def test_a_stale_if_match_is_412_and_saves_nothing(client, headers, invitation, stale):
    response = client.patch(
        url(invitation), json={"title": "No"}, headers={**headers, "If-Match": stale}
    )

    assert response.status_code == 412
    assert response.get_json()["error"] == "precondition_failed"
    assert version_of(invitation) == FIRST_VERSION
    assert client.get(url(invitation), headers=headers).get_json()["title"] is None


def test_the_etag_of_a_save_is_current_and_the_previous_one_is_stale(client, headers, invitation):
    first = client.get(url(invitation), headers=headers).headers["ETag"]
    saved = client.patch(
        url(invitation), json={"title": "A"}, headers={**headers, "If-Match": first}
    )

    again = client.patch(
        url(invitation), json={"title": "B"}, headers={**headers, "If-Match": first}
    )
    chained = client.patch(
        url(invitation), json={"title": "C"}, headers={**headers, "If-Match": saved.headers["ETag"]}
    )
    star = client.patch(url(invitation), json={"title": "D"}, headers={**headers, "If-Match": "*"})

    assert (saved.status_code, again.status_code, chained.status_code) == (200, 412, 200)
    assert star.status_code == 200 and star.get_json()["title"] == "D"


def test_every_invalid_field_is_named_at_once(client, headers, invitation):
    response = client.patch(
        url(invitation),
        json={
            "title": "x" * 201,
            "theme_primary_color": "blue",
            "theme_secondary_color": "#12345",
            "ceremony_map_url": "javascript:alert(1)",
            "instagram_url": "ftp://example.com/a",
            "ceremony_latitude": 91,
            "reception_longitude": -180.5,
            "event_date": "mañana",
            "rsvp_deadline": "2027-02-30",
            "ceremony_time": "24:00",
            "reception_time": "7:30",
            "timezone": "Mars/Olympus",
            "language": "fr",
            "contact_email": "not-an-email",
            "default_max_guests": 21,
            "whatsapp_message": "x" * 501,
            "rsvp_enabled": None,
            "gifts_enabled": "yes",
            "godparents": [{"role": "Padrinos", "names": "A", "phone": "1"}],
            "reserved_colors": ["#FFFFFF"] * 11,
            "sections": ["hero", "hero"],
            "custom_fields": {"k": {"nested": 1}},
            "unknown_field": 1,
        },
        headers=headers,
    )

    assert response.status_code == 422
    assert response.get_json()["error"] == "validation_error"
    assert fields_named(response) == {
        "title",
        "theme_primary_color",
        "theme_secondary_color",
        "ceremony_map_url",
        "instagram_url",
        "ceremony_latitude",
        "reception_longitude",
        "event_date",
        "rsvp_deadline",
        "ceremony_time",
        "reception_time",
        "timezone",
        "language",
        "contact_email",
        "default_max_guests",
        "whatsapp_message",
        "rsvp_enabled",
        "gifts_enabled",
        "godparents",
        "reserved_colors",
        "sections",
        "custom_fields",
        "unknown_field",
    }
    assert version_of(invitation) == FIRST_VERSION


@pytest.mark.parametrize(
    "changes",
    [
        {"sections": ["Hero"]},
        {"sections": ["x" * 51]},
        {"sections": ["s"] * 31},
        {"godparents": [{"role": "r"}]},
        {"godparents": [{"role": "r", "names": "n"}] * 31},
        {"godparents": {"role": "r", "names": "n"}},
        {"custom_fields": {f"k{i}": i for i in range(51)}},
        {"custom_fields": {"k" * 51: 1}},
        {"custom_fields": {"k": "x" * 1001}},
        {"custom_fields": ["a"]},
        {"ceremony_latitude": "-12.5"},
        {"default_max_guests": 0},
        {"default_max_guests": "3"},
        {"timezone": None},
        {"language": None},
        {"video_url": "http://"},
    ],
)
def test_json_shapes_and_types_are_bounded(client, headers, invitation, changes):
    response = client.patch(url(invitation), json=changes, headers=headers)

    assert response.status_code == 422, response.get_json()
    assert fields_named(response) == set(changes)


def test_media_ids_must_name_media_of_this_invitation_of_a_fitting_type(
    client, headers, invitation, make, owner
):
    photo = media(invitation, "photo")
    song = media(invitation, "music")
    other = make.invitation(user=owner)
    foreign_cover = media(other, "cover")

    refused = client.patch(
        url(invitation),
        json={"cover_media_id": song.id, "music_media_id": photo.id, "og_image_media_id": 10**9},
        headers=headers,
    )
    foreign = client.patch(
        url(invitation), json={"cover_media_id": foreign_cover.id}, headers=headers
    )
    accepted = client.patch(
        url(invitation),
        json={"cover_media_id": photo.id, "music_media_id": song.id, "og_image_media_id": photo.id},
        headers=headers,
    )

    assert refused.status_code == 422
    assert set(refused.get_json()["details"]) == {
        "cover_media_id",
        "music_media_id",
        "og_image_media_id",
    }
    assert foreign.status_code == 422
    assert set(foreign.get_json()["details"]) == {"cover_media_id"}
    assert accepted.status_code == 200
    assert accepted.get_json()["music_media_id"] == song.id
    cleared = client.patch(url(invitation), json={"cover_media_id": None}, headers=headers)
    assert cleared.get_json()["cover_media_id"] is None


def test_video_and_music_need_their_plan_features(client, headers, make, owner):
    plan = make.plan(features={"max_events": 2, "video": False, "music": False})
    invitation = make.invitation(user=owner)
    invitation.plan = plan
    db.session.commit()
    start = version_of(invitation)

    video = client.patch(url(invitation), json={"video_url": "https://youtu.be/x"}, headers=headers)
    music = client.patch(url(invitation), json={"music_enabled": True}, headers=headers)
    allowed = client.patch(
        url(invitation), json={"video_url": None, "music_enabled": False}, headers=headers
    )

    assert (video.status_code, video.get_json()["error"]) == (403, "feature_not_in_plan")
    assert (music.status_code, music.get_json()["error"]) == (403, "feature_not_in_plan")
    assert allowed.status_code == 200
    assert version_of(invitation) == start + 1


def test_a_draft_is_held_to_the_cheapest_active_plan(client, headers, make, owner):
    make.plan(price=Decimal("49.00"), features={"video": False})
    make.plan(price=Decimal("199.00"), features={"video": True})
    draft = make.invitation(user=owner)

    response = client.patch(url(draft), json={"video_url": "https://youtu.be/x"}, headers=headers)

    assert response.status_code == 403


@pytest.mark.parametrize("method", ["get", "patch"])
def test_another_users_or_a_deleted_invitation_is_404(
    client, headers, make, invitation, method, auth_headers
):
    stranger = auth_headers(make.user())
    deleted = make.invitation(user=invitation.user)
    deleted.deleted_at = deleted.created_at
    db.session.commit()

    theirs = getattr(client, method)(url(invitation), json={}, headers=stranger)
    gone = getattr(client, method)(url(deleted), json={}, headers=headers)
    missing = getattr(client, method)("/api/editor/999999/data", json={}, headers=headers)

    assert (theirs.status_code, gone.status_code, missing.status_code) == (404, 404, 404)
    assert version_of(invitation) == FIRST_VERSION


def test_without_a_token_it_is_401(client, invitation):
    assert client.get(url(invitation)).status_code == 401


def test_a_blank_if_match_is_taken_as_absent(client, headers, invitation):
    response = client.patch(
        url(invitation), json={"title": "A"}, headers={**headers, "If-Match": " "}
    )

    assert response.status_code == 200
    assert version_of(invitation) == FIRST_VERSION + 1


@pytest.mark.parametrize("name", ["localtime", "Factory", "GMT0", "Greenwich", "US/Eastern"])
def test_the_timezone_is_a_place_not_an_alias_or_a_system_name(client, headers, invitation, name):
    response = client.patch(url(invitation), json={"timezone": name}, headers=headers)

    assert response.status_code == 422
    assert "timezone" in response.get_json()["details"]


def test_the_documented_timezones_are_each_one_place(client):
    document = client.get("/api/openapi.json").get_json()
    schema = document["components"]["schemas"]["EditorDataUpdate"]["properties"]["timezone"]
    choices = schema["enum"]

    assert "America/Lima" in choices and "UTC" in choices
    assert not {"localtime", "Factory", "GMT", "GMT+0", "GMT-0", "GMT0", "Zulu"} & set(choices)
    assert len(choices) == len(set(choices))
