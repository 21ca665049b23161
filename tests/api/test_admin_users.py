"""Admins manage users; everyone else is refused."""

import pytest

from extensions import db


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
