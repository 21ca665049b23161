"""`flask seed`: the catalogue through its services, real template images, a safe admin."""

from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models.plan import Plan
from models.template import Template
from models.user import User
from services.seed import TEMPLATES
from utils.template_art import hex_color


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def seed_settings(app, tmp_path, monkeypatch):
    """The seed's settings, on a media folder of this test; `make run`'s defaults otherwise."""
    media = tmp_path / "media"
    for key, value in {
        "MEDIA_ROOT": str(media),
        "MEDIA_BASE_URL": None,
        "PUBLIC_BASE_URL": None,
        "ADMIN_EMAIL": "Admin@Example.com",
        "ADMIN_PASSWORD": "admin12345",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.delenv("PORT", raising=False)
    return app.config


def seed(runner):
    return runner.invoke(args=["seed"])


def media_file(config, key: str) -> Path:
    """The file under MEDIA_ROOT that a seeded image's stored key names."""
    assert key.startswith("templates/"), key
    return Path(config["MEDIA_ROOT"], key)


def templates() -> list[Template]:
    db.session.rollback()
    return db.session.scalars(select(Template).order_by(Template.display_order)).all()


def test_seed_twice_changes_nothing(runner, seed_settings):
    first = seed(runner)
    plan = db.session.scalar(select(Plan).where(Plan.slug == "standard"))
    plan.price = plan.price + 1  # an admin's later edit must survive a re-seed
    db.session.commit()
    files = {
        t.preview_url: media_file(seed_settings, t.preview_url).read_bytes() for t in templates()
    }
    second = seed(runner)

    assert first.exit_code == 0, first.output
    assert "2 plans, 8 templates, 1 admins created; 16 template images drawn" in first.output
    assert "0 plans, 0 templates, 0 admins created; 0 template images drawn" in second.output
    assert (count(Plan), count(Template), count(User)) == (2, 8, 1)
    admin = db.session.scalar(select(User))
    assert admin.email == "admin@example.com" and admin.is_admin
    db.session.refresh(plan)
    assert str(plan.price) == "150.00"
    assert {url: media_file(seed_settings, url).read_bytes() for url in files} == files


def test_seeded_templates_keep_keys_of_real_images_in_their_colours(runner, seed_settings):
    assert seed(runner).exit_code == 0

    seeded = templates()
    assert [t.slug for t in seeded] == [t["slug"] for t in TEMPLATES]
    for template in seeded:
        for url, size in (
            (template.preview_url, (1200, 900)),
            (template.thumbnail_url, (480, 360)),
        ):
            assert url.startswith(f"templates/{template.slug}/")
            with Image.open(media_file(seed_settings, url)) as image:
                image.verify()
            with Image.open(media_file(seed_settings, url)) as image:
                assert (image.format, image.size) == ("JPEG", size)
                # The bottom of the gradient is the template's secondary colour.
                bottom = image.convert("RGB").getpixel((size[0] // 2, size[1] - 2))
            secondary = hex_color(template.config["colors"]["secondary"])
            assert max(abs(a - b) for a, b in zip(bottom, secondary, strict=True)) <= 12


@pytest.mark.parametrize(
    "settings, base",
    [
        ({"PUBLIC_BASE_URL": "https://api.invitaciones.pe"}, "https://api.invitaciones.pe/media"),
        (
            {
                "PUBLIC_BASE_URL": "https://api.invitaciones.pe",
                "MEDIA_BASE_URL": "https://cdn.pe/m/",
            },
            "https://cdn.pe/m",
        ),
    ],
)
def test_seeded_image_urls_follow_the_public_urls(
    runner, client, seed_settings, monkeypatch, settings, base
):
    assert seed(runner).exit_code == 0
    # Set after seeding: the URLs are built when served.
    for key, value in settings.items():
        monkeypatch.setitem(seed_settings, key, value)

    template = templates()[0]
    served = client.get(f"/api/templates/{template.id}").get_json()
    assert served["preview_url"] == f"{base}/templates/{template.slug}/preview.jpg"
    assert served["thumbnail_url"] == f"{base}/templates/{template.slug}/thumbnail.jpg"


def test_images_point_at_the_port_the_app_runs_on(runner, client, seed_settings, monkeypatch):
    assert seed(runner).exit_code == 0
    monkeypatch.setenv("PORT", "8000")  # PORT=8000 make run
    served = client.get(f"/api/templates/{templates()[0].id}").get_json()
    assert served["preview_url"].startswith("http://127.0.0.1:8000/media/templates/")


def test_seed_draws_again_an_image_missing_from_the_media_folder(runner, seed_settings):
    seed(runner)
    template = templates()[0]
    path = media_file(seed_settings, template.thumbnail_url)
    original = path.read_bytes()
    path.unlink()

    result = seed(runner)

    assert "0 templates, 0 admins created; 1 template images drawn" in result.output
    assert path.read_bytes() == original


def test_seed_replaces_the_old_placeholder_urls_but_never_an_admins_url(
    runner, seed_settings, make
):
    make.template(
        slug="eterno-amor",
        name="Eterno Amor",
        preview_url="/previews/eterno-amor",
        thumbnail_url="/thumbnails/eterno-amor.jpg",
        config={"colors": {"primary": "#8B5E3C", "secondary": "#F5EFE6"}},
    )
    make.template(
        slug="jardin-secreto",
        preview_url="https://fotos.example.pe/jardin.png",
        thumbnail_url=None,
    )

    result = seed(runner)

    assert "6 templates" in result.output
    by_slug = {t.slug: t for t in templates()}
    replaced = by_slug["eterno-amor"]
    assert replaced.preview_url == "templates/eterno-amor/preview.jpg"
    assert replaced.thumbnail_url == "templates/eterno-amor/thumbnail.jpg"
    with Image.open(media_file(seed_settings, replaced.preview_url)) as image:
        assert image.format == "JPEG"
    kept = by_slug["jardin-secreto"]
    assert (kept.preview_url, kept.thumbnail_url) == ("https://fotos.example.pe/jardin.png", None)


def test_seed_with_a_weak_admin_password_refuses_and_writes_nothing(runner, seed_settings):
    seed_settings["ADMIN_PASSWORD"] = "corta"

    result = seed(runner)

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: ADMIN_PASSWORD is too weak: Must be at least 8 characters long. "
        "Must contain a digit. Nothing was seeded."
    )
    assert (count(Plan), count(Template), count(User)) == (0, 0, 0)


def test_seed_ignores_a_weak_password_when_the_admin_exists(runner, seed_settings, make):
    make.user(email="admin@example.com", role="admin")
    seed_settings["ADMIN_PASSWORD"] = "corta"

    result = seed(runner)

    assert result.exit_code == 0, result.output
    assert "2 plans, 8 templates, 0 admins created" in result.output


def test_seed_without_an_admin_password_creates_no_admin(runner, seed_settings):
    seed_settings["ADMIN_PASSWORD"] = None

    result = seed(runner)

    assert result.exit_code == 0
    assert count(User) == 0
