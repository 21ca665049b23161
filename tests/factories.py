"""factory-boy factories that commit, so the app under test sees the rows."""

from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from extensions import db
from models.coupon import Coupon
from models.invitation import Invitation
from models.plan import Plan
from models.template import Template
from models.user import User
from utils.passwords import hash_password

DEFAULT_PASSWORD = "secreto123"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password_hash = factory.LazyFunction(lambda: hash_password(DEFAULT_PASSWORD))
    first_name = "Ana"
    last_name = "Quispe"
    role = "user"


class PlanFactory(BaseFactory):
    class Meta:
        model = Plan

    name = factory.Sequence(lambda n: f"Plan {n}")
    slug = factory.Sequence(lambda n: f"plan-{n}")
    price = Decimal("149.00")
    features = factory.LazyFunction(
        lambda: {"max_photos": 10, "max_events": 4, "max_guest_links": 100, "rsvp": True}
    )
    display_order = factory.Sequence(int)


class TemplateFactory(BaseFactory):
    class Meta:
        model = Template

    name = factory.Sequence(lambda n: f"Plantilla {n}")
    slug = factory.Sequence(lambda n: f"plantilla-{n}")
    category = "boda"
    price = Decimal("0.00")
    display_order = factory.Sequence(int)
    config = factory.LazyFunction(dict)


user = UserFactory
plan = PlanFactory
template = TemplateFactory


class CouponFactory(BaseFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"CUPON{n}")
    discount_type = "percentage"
    discount_value = Decimal("10.00")
    used_count = 0


class InvitationFactory(BaseFactory):
    """A draft: no order, no plan."""

    class Meta:
        model = Invitation

    user = factory.SubFactory(UserFactory)
    template = factory.SubFactory(TemplateFactory)
    title = "Nuestra boda"


coupon = CouponFactory
invitation = InvitationFactory
