"""Reference data: plans, templates with their cover images, and the first admin.

Idempotent by slug and e-mail (docs/operations.md, "Database and seed"): what exists is never
overwritten, so an admin's later edits survive a re-seed.
"""

import copy
import logging
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from models.plan import Plan
from models.template import Template
from models.user import ROLE_ADMIN, User
from services import catalog
from services.auth import find_user_by_email
from services.exceptions import ConflictError, ValidationError
from utils.db import transactional
from utils.emails import normalize_email
from utils.media import media_path, write_media_file
from utils.passwords import hash_password, password_problems
from utils.template_art import PREVIEW_SIZE, THUMBNAIL_SIZE, template_artwork

logger = logging.getLogger(__name__)

PLANS = (
    {
        "slug": "standard",
        "name": "Standard",
        "description": "Todo lo esencial para tu invitación digital: RSVP, galería y enlaces.",
        "price": Decimal("149.00"),
        "display_order": 1,
        "features": {
            "max_photos": 10,
            "max_events": 4,
            "max_guest_links": 100,
            "custom_slug": False,
            "music": False,
            "video": False,
            "rsvp": True,
            "online_days": 180,
        },
    },
    {
        "slug": "exclusive",
        "name": "Exclusive",
        "description": "La experiencia completa: música, video, enlace personalizado y más pases.",
        "price": Decimal("249.00"),
        "display_order": 2,
        "features": {
            "max_photos": 50,
            "max_events": 12,
            "max_guest_links": 1000,
            "custom_slug": True,
            "music": True,
            "video": True,
            "rsvp": True,
            "online_days": 365,
        },
    },
)


def _template(slug, name, category, price, order, primary, secondary, font, description):
    return {
        "slug": slug,
        "name": name,
        "category": category,
        "price": Decimal(price),
        "display_order": order,
        "description": description,
        "config": {
            "colors": {"primary": primary, "secondary": secondary},
            "fonts": {"title": font, "body": "Lato"},
            "sections": ["cover", "countdown", "story", "events", "gallery", "rsvp", "gifts"],
        },
    }


TEMPLATES = (
    _template(
        "eterno-amor",
        "Eterno Amor",
        "boda",
        "0.00",
        1,
        "#8B5E3C",
        "#F5EFE6",
        "Playfair Display",
        "Elegancia clásica en tonos tierra para tu boda.",
    ),
    _template(
        "jardin-secreto",
        "Jardín Secreto",
        "boda",
        "30.00",
        2,
        "#4F7942",
        "#FAF7F0",
        "Cormorant Garamond",
        "Flores y verdes para una boda al aire libre.",
    ),
    _template(
        "noche-dorada",
        "Noche Dorada",
        "boda",
        "50.00",
        3,
        "#1F2A44",
        "#D4AF37",
        "Cinzel",
        "Azul noche y dorado para una celebración de gala.",
    ),
    _template(
        "mis-quince",
        "Mis Quince",
        "quinceanos",
        "20.00",
        4,
        "#C2185B",
        "#FCE4EC",
        "Great Vibes",
        "Rosa y brillo para unos quince inolvidables.",
    ),
    _template(
        "bendicion",
        "Bendición",
        "bautizo",
        "0.00",
        5,
        "#5B9BD5",
        "#FFFFFF",
        "Dancing Script",
        "Suave y luminosa para el bautizo.",
    ),
    _template(
        "fiesta-de-colores",
        "Fiesta de Colores",
        "cumpleanos",
        "10.00",
        6,
        "#FF7043",
        "#FFF3E0",
        "Baloo 2",
        "Alegre y colorida para cumpleaños.",
    ),
    _template(
        "dulce-espera",
        "Dulce Espera",
        "baby_shower",
        "10.00",
        7,
        "#80CBC4",
        "#FFF8E1",
        "Quicksand",
        "Tonos pastel para el baby shower.",
    ),
    _template(
        "celebracion",
        "Celebración",
        "otro",
        "0.00",
        8,
        "#37474F",
        "#ECEFF1",
        "Montserrat",
        "Sobria y versátil para cualquier evento.",
    ),
)


# The cover images, as media keys under MEDIA_ROOT (stored as such: their URLs are built
# when served), and their pixel sizes.
ARTWORK = {
    "preview_url": ("templates/{slug}/preview.jpg", PREVIEW_SIZE),
    "thumbnail_url": ("templates/{slug}/thumbnail.jpg", THUMBNAIL_SIZE),
}
# What earlier seeds stored before the images existed: never real files, so replaced.
LEGACY_PLACEHOLDERS = {"preview_url": "/previews/{slug}", "thumbnail_url": "/thumbnails/{slug}.jpg"}
CATEGORY_LABELS = {
    "boda": "Boda",
    "quinceanos": "Quinceaños",
    "bautizo": "Bautizo",
    "cumpleanos": "Cumpleaños",
    "baby_shower": "Baby shower",
    "otro": "Toda ocasión",
}


class WeakAdminPasswordError(ValidationError):
    """The admin's password breaks the password rules (docs/accounts-and-security.md,
    "Passwords")."""


@transactional
def seed_reference_data(admin_email: str | None, admin_password: str | None) -> dict[str, int]:
    """Insert what is missing through the catalogue service; never overwrite what exists.

    A missing admin is created only with a password the rules accept; a weak one refuses the
    whole seed before anything is written. Template images missing from the media storage
    are drawn again (the same bytes), so the seeded images always exist.
    """
    created = {"plans": 0, "templates": 0, "images": 0, "admins": 0}
    new_admin = None
    if admin_email and admin_password and find_user_by_email(admin_email) is None:
        _require_strong_password(admin_password, "ADMIN_PASSWORD")
        new_admin = (admin_email, admin_password)

    existing_plans = set(db.session.scalars(select(Plan.slug)))
    for plan in PLANS:
        if plan["slug"] not in existing_plans:
            catalog.admin_create_plan(None, copy.deepcopy(plan))
            created["plans"] += 1

    existing_templates = {t.slug: t for t in db.session.scalars(select(Template))}
    for data in TEMPLATES:
        template = existing_templates.get(data["slug"])
        if template is None:
            keys = {field: name.format(**data) for field, (name, _) in ARTWORK.items()}
            template = catalog.admin_create_template(None, {**copy.deepcopy(data), **keys})
            created["templates"] += 1
        else:
            _replace_legacy_placeholders(template)
        created["images"] += _draw_missing_artwork(template)

    if new_admin is not None:
        db.session.add(_new_admin(*new_admin))
        created["admins"] += 1
    return created


@transactional
def create_admin(email: str, password: str) -> User:
    _require_strong_password(password, "The password")
    if find_user_by_email(email) is not None:
        raise ConflictError(f"A user with e-mail {normalize_email(email)} already exists.")
    admin = _new_admin(email, password)
    db.session.add(admin)
    return admin


def _require_strong_password(password: str, name: str) -> None:
    problems = password_problems(password)
    if problems:
        raise WeakAdminPasswordError(
            f"{name} is too weak: " + " ".join(problems), details={"password": problems}
        )


def _replace_legacy_placeholders(template: Template) -> None:
    changes = {
        field: ARTWORK[field][0].format(slug=template.slug)
        for field, placeholder in LEGACY_PLACEHOLDERS.items()
        if getattr(template, field) == placeholder.format(slug=template.slug)
    }
    if changes:
        catalog.admin_update_template(None, template.id, changes)


def _draw_missing_artwork(template: Template) -> int:
    """Draw the template's images that are the seeded ones but whose file is missing."""
    colors = (template.config or {}).get("colors") or {}
    drawn = 0
    for field, (name_pattern, size) in ARTWORK.items():
        name = name_pattern.format(slug=template.slug)
        if getattr(template, field) != name or media_path(name).is_file():
            continue
        image = template_artwork(
            template.name,
            CATEGORY_LABELS.get(template.category, ""),
            colors.get("primary", "#37474F"),
            colors.get("secondary", "#ECEFF1"),
            size,
        )
        write_media_file(name, image)
        drawn += 1
    return drawn


def _new_admin(email: str, password: str) -> User:
    return User(
        email=email,
        password_hash=hash_password(password),
        role=ROLE_ADMIN,
        first_name="Admin",
        last_name="",
    )
