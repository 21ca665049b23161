"""Reference data: plans, templates and the first admin. Idempotent by slug and e-mail."""

import logging
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from models.plan import Plan
from models.template import Template
from models.user import ROLE_ADMIN, User
from services.exceptions import ConflictError, ValidationError
from utils.passwords import hash_password, password_problems

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
        "preview_url": f"/previews/{slug}",
        "thumbnail_url": f"/thumbnails/{slug}.jpg",
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


def seed_reference_data(admin_email: str | None, admin_password: str | None) -> dict[str, int]:
    """Insert what is missing; never overwrite what an admin may have edited."""
    created = {"plans": 0, "templates": 0, "admins": 0}
    existing_plans = set(db.session.scalars(select(Plan.slug)))
    for plan in PLANS:
        if plan["slug"] not in existing_plans:
            db.session.add(Plan(**plan))
            created["plans"] += 1
    existing_templates = set(db.session.scalars(select(Template.slug)))
    for template in TEMPLATES:
        if template["slug"] not in existing_templates:
            db.session.add(Template(**template))
            created["templates"] += 1
    if admin_email and admin_password and _find_user(admin_email) is None:
        db.session.add(_new_admin(admin_email, admin_password))
        created["admins"] += 1
    db.session.commit()
    return created


def create_admin(email: str, password: str) -> User:
    problems = password_problems(password)
    if problems:
        raise ValidationError("Password rejected: " + " ".join(problems))
    if _find_user(email) is not None:
        raise ConflictError(f"A user with e-mail {email.strip().lower()} already exists.")
    admin = _new_admin(email, password)
    db.session.add(admin)
    db.session.commit()
    return admin


def _find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def _new_admin(email: str, password: str) -> User:
    return User(
        email=email,
        password_hash=hash_password(password),
        role=ROLE_ADMIN,
        first_name="Admin",
        last_name="",
    )
