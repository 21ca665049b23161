"""The signed-in user's own account: read, change, delete."""

from sqlalchemy import select

from extensions import db
from models.invitation import Invitation
from models.order import Order
from models.user import User
from tests.factories import DEFAULT_PASSWORD


def test_me_returns_the_profile(client, make, auth_headers):
    user = make.user(first_name="Rosa")
    body = client.get("/api/users/me", headers=auth_headers(user)).get_json()
    assert body["user"]["first_name"] == "Rosa"
    assert set(body["user"]) >= {"id", "email", "role", "is_active", "created_at", "phone"}


def test_patch_changes_names_and_phone(client, make, auth_headers):
    user = make.user()
    response = client.patch(
        "/api/users/me",
        headers=auth_headers(user),
        json={"first_name": "María José", "phone": "+51 912 345 678"},
    )
    assert response.status_code == 200
    assert response.get_json()["user"]["first_name"] == "María José"
    db.session.refresh(user)
    assert user.phone == "+51 912 345 678"


def test_patch_refuses_role_email_and_is_active(client, make, auth_headers):
    user = make.user()
    for field, value in (("role", "admin"), ("email", "x@y.pe"), ("is_active", False)):
        response = client.patch("/api/users/me", headers=auth_headers(user), json={field: value})
        assert response.status_code == 422
        assert field in response.get_json()["details"]
    db.session.refresh(user)
    assert user.role == "user" and user.is_active


def test_delete_needs_the_password(client, make, auth_headers):
    user = make.user()
    response = client.delete(
        "/api/users/me", headers=auth_headers(user), json={"password": "wrong-one1"}
    )
    assert response.status_code == 401
    db.session.refresh(user)
    assert user.is_active


def test_delete_disables_erases_and_keeps_orders(client, make, auth_headers):
    user = make.user(email="borrar@example.com", first_name="Borrar", phone="+51 999 999 999")
    template = make.template()
    db.session.add(Invitation(user_id=user.id, template_id=template.id, title="Boda"))
    db.session.add(Order(order_number="ORD-20261128-KEEP01", user_id=user.id, subtotal=1, total=1))
    db.session.commit()
    headers = auth_headers(user)

    response = client.delete("/api/users/me", headers=headers, json={"password": DEFAULT_PASSWORD})

    assert response.status_code == 204
    stored = db.session.scalar(select(User).where(User.id == user.id))
    db.session.refresh(stored)
    assert not stored.is_active
    assert "borrar" not in stored.email and stored.first_name == "" and stored.phone is None
    assert db.session.scalar(select(Invitation)) is None
    assert db.session.scalar(select(Order)).user_id == user.id
    login = client.post(
        "/api/auth/login", json={"email": "borrar@example.com", "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 401
    assert login.get_json()["error"] == "invalid_credentials"
    me = client.get("/api/users/me", headers=headers)
    assert me.status_code == 401
    assert me.get_json()["error"] == "unauthorized"
