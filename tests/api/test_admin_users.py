"""Admins manage users; everyone else is refused."""

import pytest

from extensions import db
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def admin(make):
    return make.user(role="admin", email="admin@example.com")


@pytest.mark.parametrize(
    "method, path",
    [("get", "/api/admin/users"), ("get", "/api/admin/users/1"), ("patch", "/api/admin/users/1")],
)
def test_admin_routes_refuse_customers_with_403(client, make, auth_headers, method, path):
    user = make.user()
    response = getattr(client, method)(path, headers=auth_headers(user), json={})
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


def test_admin_routes_refuse_anonymous_callers_with_401(client):
    assert client.get("/api/admin/users").status_code == 401


def test_admin_lists_and_searches_users(client, make, admin, auth_headers):
    make.user(email="rosa@example.com", first_name="Rosa")
    make.user(email="pedro@example.com", first_name="Pedro")

    everyone = client.get("/api/admin/users", headers=auth_headers(admin)).get_json()
    rosa = client.get("/api/admin/users?q=ROS", headers=auth_headers(admin)).get_json()
    admins = client.get("/api/admin/users?role=admin", headers=auth_headers(admin)).get_json()

    assert everyone["total"] == 3
    assert [u["email"] for u in rosa["items"]] == ["rosa@example.com"]
    assert [u["email"] for u in admins["items"]] == ["admin@example.com"]


def test_admin_disables_a_user_and_their_tokens_die(client, make, admin, auth_headers):
    user = make.user()
    user_headers = auth_headers(user)

    response = client.patch(
        f"/api/admin/users/{user.id}", headers=auth_headers(admin), json={"is_active": False}
    )

    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert client.get("/api/users/me", headers=user_headers).status_code == 401


def test_admin_promotes_a_user(client, make, admin, auth_headers):
    user = make.user()
    response = client.patch(
        f"/api/admin/users/{user.id}", headers=auth_headers(admin), json={"role": "admin"}
    )
    assert response.get_json()["role"] == "admin"
    assert client.get("/api/admin/users", headers=auth_headers(user)).status_code == 200


def test_admin_cannot_demote_or_disable_themselves(client, admin, auth_headers):
    for change in ({"role": "user"}, {"is_active": False}):
        response = client.patch(
            f"/api/admin/users/{admin.id}", headers=auth_headers(admin), json=change
        )
        assert response.status_code == 409
    db.session.refresh(admin)
    assert admin.is_admin and admin.is_active


def test_admin_user_update_validates_fields(client, make, admin, auth_headers):
    user = make.user()
    response = client.patch(
        f"/api/admin/users/{user.id}",
        headers=auth_headers(admin),
        json={"role": "superuser", "email": "x@y.pe"},
    )
    assert response.status_code == 422
    assert set(response.get_json()["details"]) == {"role", "email"}


def test_unknown_user_is_404(client, admin, auth_headers):
    assert client.get("/api/admin/users/999999", headers=auth_headers(admin)).status_code == 404


def test_reenabling_a_disabled_account_does_not_revive_its_old_tokens(client, make, admin):
    make.user(email="luis@example.com")
    old = client.post(
        "/api/auth/login", json={"email": "luis@example.com", "password": DEFAULT_PASSWORD}
    ).get_json()
    admin_headers = {"Authorization": f"Bearer {client_login(client, 'admin@example.com')}"}
    user_id = old["user"]["id"]

    client.patch(f"/api/admin/users/{user_id}", headers=admin_headers, json={"is_active": False})
    while_disabled = client.get("/api/auth/me", headers=bearer(old["access_token"]))
    client.patch(f"/api/admin/users/{user_id}", headers=admin_headers, json={"is_active": True})

    assert while_disabled.get_json()["error"] == "unauthorized"
    me = client.get("/api/auth/me", headers=bearer(old["access_token"]))
    refresh = client.post("/api/auth/refresh", headers=bearer(old["refresh_token"]))
    assert me.status_code == refresh.status_code == 401
    assert me.get_json()["error"] == refresh.get_json()["error"] == "token_revoked"
    fresh = client_login(client, "luis@example.com")
    assert client.get("/api/auth/me", headers=bearer(fresh)).status_code == 200


def test_an_admin_edit_that_keeps_the_account_enabled_keeps_its_tokens(
    client, make, admin, auth_headers
):
    user = make.user()
    user_headers = auth_headers(user)

    client.patch(f"/api/admin/users/{user.id}", headers=auth_headers(admin), json={"role": "admin"})

    assert client.get("/api/auth/me", headers=user_headers).status_code == 200


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def client_login(client, email):
    response = client.post("/api/auth/login", json={"email": email, "password": DEFAULT_PASSWORD})
    return response.get_json()["access_token"]
