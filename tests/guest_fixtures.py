"""Published invitations as guests meet them, and rows to fill one with quickly."""

from datetime import UTC, datetime, timedelta

from extensions import db
from models.invitation_event import InvitationEvent
from models.invitation_media import InvitationMedia
from models.invitation_response import InvitationResponse
from models.invitation_url import KIND_GUEST, InvitationUrl
from services.provisioning import new_link_code
from tests.invitation_fixtures import FULL_FEATURES, paid_invitation

EVENT_DATE = "2027-03-13T22:00:00Z"  # Saturday 13 March 2027, 17:00 in Lima
NAMES = {"couple_bride_name": "Ana", "couple_groom_name": "Luis"}


def published_invitation(client, headers, *, features=None, template=None, **data) -> dict:
    """A paid, published invitation with names and a date (plus any `data` fields)."""
    invitation = paid_invitation(
        client, headers, features=features or dict(FULL_FEATURES), template=template
    )
    edit_data(client, headers, invitation["id"], event_date=EVENT_DATE, **NAMES, **data)
    response = client.post(f"/api/invitations/{invitation['id']}/publish", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def edit_data(client, headers, invitation_id: int, **fields) -> dict:
    response = client.patch(f"/api/editor/{invitation_id}/data", json=fields, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def page(client, code: str, **headers):
    return client.get(f"/api/public/invitations/{code}", headers=headers)


def rsvp(client, code: str, **answer):
    headers = answer.pop("headers", {})
    body = {"guest_name": "Rosa Díaz", "status": "confirmed", "number_of_guests": 1, **answer}
    return client.post(f"/api/public/invitations/{code}/rsvp", json=body, headers=headers)


def guest_link(invitation_id: int, *, guest_name="Familia Pérez", max_guests=3) -> InvitationUrl:
    link = InvitationUrl(
        invitation_id=invitation_id,
        kind=KIND_GUEST,
        code=new_link_code(),
        guest_name=guest_name,
        max_guests=max_guests,
    )
    db.session.add(link)
    db.session.commit()
    return link


def add_events(invitation_id: int, count: int) -> None:
    start = datetime(2027, 3, 13, 22, tzinfo=UTC)
    db.session.add_all(
        InvitationEvent(
            invitation_id=invitation_id,
            event_type="recepcion",
            title=f"Momento {n}",
            starts_at=start + timedelta(minutes=30 * n),
            venue_name="Casa Hacienda",
            display_order=n,
        )
        for n in range(count)
    )
    db.session.commit()


def add_media(invitation_id: int, count: int, media_type: str = "photo") -> None:
    db.session.add_all(
        InvitationMedia(
            invitation_id=invitation_id,
            media_type=media_type,
            storage_key=f"uploads/{media_type}-{n}.jpg",
            mime_type="image/jpeg",
            size_bytes=1000,
            sha256=f"{n:064x}",
            display_order=n,
        )
        for n in range(count)
    )
    db.session.commit()


def add_responses(invitation_id: int, count: int) -> None:
    db.session.add_all(
        InvitationResponse(
            invitation_id=invitation_id,
            guest_name=f"Invitado {n}",
            status="confirmed",
            number_of_guests=1,
            dedupe_key=f"key-{n}",
        )
        for n in range(count)
    )
    db.session.commit()
