"""The operator's `flask` commands."""

from datetime import timedelta

from sqlalchemy import func, select

from extensions import db
from models.auth_token import RevokedToken
from models.plan import Plan
from models.template import Template
from models.user import User
from utils.passwords import check_password
from utils.time import utcnow


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_twice_changes_nothing(app, runner):
    app.config.update(ADMIN_EMAIL="Admin@Example.com", ADMIN_PASSWORD="admin12345")
    try:
        first = runner.invoke(args=["seed"])
        plan = db.session.scalar(select(Plan).where(Plan.slug == "standard"))
        plan.price = plan.price + 1  # an admin's later edit must survive a re-seed
        db.session.commit()
        second = runner.invoke(args=["seed"])
    finally:
        app.config.update(ADMIN_EMAIL=None, ADMIN_PASSWORD=None)

    assert "2 plans, 8 templates, 1 admins created" in first.output
    assert "0 plans, 0 templates, 0 admins created" in second.output
    assert (count(Plan), count(Template), count(User)) == (2, 8, 1)
    admin = db.session.scalar(select(User))
    assert admin.email == "admin@example.com" and admin.is_admin
    db.session.refresh(plan)
    assert str(plan.price) == "150.00"


def test_create_admin_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["create-admin", "jefe@example.com"], input="jefe12345\njefe12345\n"
    )

    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.email == "jefe@example.com"))
    assert admin.is_admin
    assert check_password("jefe12345", admin.password_hash)


def test_create_admin_refuses_weak_passwords_and_existing_emails(runner, make):
    make.user(email="ya@example.com")
    weak = runner.invoke(args=["create-admin", "otro@example.com"], input="corta\ncorta\n")
    taken = runner.invoke(args=["create-admin", "ya@example.com"], input="clave1234\nclave1234\n")

    assert weak.exit_code != 0 and "at least 8" in weak.output
    assert taken.exit_code != 0 and "already exists" in taken.output


def test_tokens_purge_removes_only_expired_revocations(runner, make):
    user = make.user()
    now = utcnow()
    db.session.add_all(
        [
            RevokedToken(
                jti="old",
                token_type="access",
                user_id=user.id,
                expires_at=now - timedelta(minutes=1),
            ),
            RevokedToken(
                jti="live",
                token_type="access",
                user_id=user.id,
                expires_at=now + timedelta(minutes=5),
            ),
        ]
    )
    db.session.commit()

    result = runner.invoke(args=["tokens", "purge"])

    assert "Removed 1" in result.output
    assert db.session.scalars(select(RevokedToken.jti)).all() == ["live"]
