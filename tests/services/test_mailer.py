"""The mailer sends through a real SMTP server when MAIL_SERVER is set."""

from app import create_app
from tests.conftest import IsolatedClient


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
