"""The mailer sends through a real SMTP server when MAIL_SERVER is set: every kind of mail
the app sends carries `Date` and `Message-ID`, links to the SPA's configured routes, and
keeps its headers whole whatever text it is built from."""

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import update

from app import create_app
from extensions import db
from models.invitation import Invitation
from models.invitation_response import InvitationResponse
from models.invitation_response_change import CHANGE_CREATED, InvitationResponseChange
from services import rsvp_notices
from tests.api.test_claims import file
from tests.conftest import IsolatedClient
from tests.guest_fixtures import published_invitation, rsvp
from tests.payment_fixtures import paid_order

SENDER = "Invitaciones <hola@invitaciones.pe>"


@pytest.fixture
def mail_to(smtp_server, monkeypatch):
    """Point an app's mail at the SMTP sink (the settings are read when a mail is sent)."""

    def route(app, **settings):
        for name, value in {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "MAIL_USE_TLS": False,
            "MAIL_DEFAULT_SENDER": SENDER,
            **settings,
        }.items():
            monkeypatch.setitem(app.config, name, value)

    return route


def sent(smtp_server) -> dict:
    return {message["Subject"]: message for _, _, message in smtp_server.messages}


def test_password_reset_mail_goes_out_by_smtp(database_url, make, smtp_server):
    make.user(email="luis@example.com", first_name="Luis")
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "MAIL_USE_TLS": False,
            "FRONTEND_URL": "https://invitaciones.pe",
        },
    )
    app.test_client_class = IsolatedClient

    response = app.test_client().post(
        "/api/auth/forgot-password", json={"email": "luis@example.com"}
    )

    assert response.status_code == 202
    [(sender, recipients, message)] = smtp_server.messages
    assert recipients == ["luis@example.com"]
    assert sender == app.config["MAIL_DEFAULT_SENDER"]
    assert message["Subject"] == "Restablece tu contraseña"
    assert "https://invitaciones.pe/reset-password?token=" in message.get_content()


def test_every_kind_of_mail_carries_a_date_and_a_message_id(
    app, client, shop_app, shop, make, auth_headers, izipay_server, smtp_server, mail_to
):
    mail_to(app)
    mail_to(shop_app)
    owner = make.user(email="novios@example.com", first_name="Ana")
    admin = auth_headers(make.user(email="root@example.com", role="admin"))
    client.post("/api/auth/forgot-password", json={"email": "novios@example.com"})
    claim = file(client).get_json()
    claim_id = client.get("/api/admin/claims", headers=admin).get_json()["items"][0]["id"]
    answer = {"response": "Lo revisamos y lo corregimos."}
    client.post(f"/api/admin/claims/{claim_id}/respond", json=answer, headers=admin)
    invitation = published_invitation(client, auth_headers(owner))
    assert rsvp(client, invitation["main_code"], guest_name="Tía Carmen").status_code == 201
    paid_order(shop, make, auth_headers(make.user(email="carla@example.com")), izipay_server)

    mails = sent(smtp_server)
    kinds = {
        "password reset": "Restablece tu contraseña",
        "claim copy": f"Libro de Reclamaciones: reclamo {claim['code']}",
        "claim answer": f"Respuesta a tu reclamo {claim['code']}",
        "RSVP notice": "Nueva respuesta: Tía Carmen",
    }
    assert set(kinds.values()) <= set(mails), sorted(mails)
    [order_paid] = [subject for subject in mails if subject.startswith("Pago confirmado")]
    now = datetime.now(UTC)
    for subject in [*kinds.values(), order_paid]:
        message = mails[subject]
        assert abs(parsedate_to_datetime(message["Date"]) - now) < timedelta(minutes=5), subject
        assert message["Message-ID"].endswith("@invitaciones.pe>"), subject
    assert len({message["Message-ID"] for message in mails.values()}) == len(mails)


def test_mails_link_to_the_spa_routes_the_settings_name(
    client, shop_app, shop, make, auth_headers, izipay_server, smtp_server, mail_to
):
    mail_to(
        client.application,
        FRONTEND_URL="https://invitaciones.pe/",
        FRONTEND_RESET_PASSWORD_PATH="/cuenta/nueva-clave?t=",
    )
    mail_to(
        shop_app,
        FRONTEND_URL="https://invitaciones.pe",
        FRONTEND_MY_INVITATIONS_PATH="/panel",
    )
    make.user(email="luis@example.com")
    client.post("/api/auth/forgot-password", json={"email": "luis@example.com"})
    paid_order(shop, make, auth_headers(make.user(email="carla@example.com")), izipay_server)

    mails = sent(smtp_server)
    reset = mails["Restablece tu contraseña"].get_content()
    assert "https://invitaciones.pe/cuenta/nueva-clave?t=" in reset
    [paid] = [message for subject, message in mails.items() if subject.startswith("Pago")]
    assert "https://invitaciones.pe/panel." in paid.get_content()


def answered_twice(invitation_id: int) -> None:
    """Two answers, recorded as the RSVP service records them, not yet notified."""
    for name in ("Tía Carmen", "Tío Pepe"):
        answer = InvitationResponse(
            invitation_id=invitation_id,
            guest_name=name,
            status="confirmed",
            number_of_guests=1,
            dedupe_key=name,
        )
        db.session.add(answer)
        db.session.flush()
        db.session.add(
            InvitationResponseChange(
                response_id=answer.id,
                invitation_id=invitation_id,
                change=CHANGE_CREATED,
                status="confirmed",
                number_of_guests=1,
                guest_name=name,
            )
        )
    db.session.commit()


def test_a_title_stored_with_a_line_break_keeps_the_rsvp_notice_whole(
    app, client, make, auth_headers, smtp_server, mail_to
):
    mail_to(app)
    invitation = published_invitation(client, auth_headers(make.user(email="ana@example.com")))
    stored_before_the_rule = "Boda\r\nBcc: intruso@example.com"
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation["id"])
        .values(title=stored_before_the_rule)
    )
    db.session.commit()
    answered_twice(invitation["id"])

    assert rsvp_notices.send_rsvp_notice(invitation["id"]) == 2

    [(_, recipients, message)] = smtp_server.messages
    assert recipients == ["ana@example.com"]
    assert message["Subject"] == "2 respuestas nuevas: Boda Bcc: intruso@example.com"
    assert message["Bcc"] is None
    assert "Tía Carmen" in message.get_content()
