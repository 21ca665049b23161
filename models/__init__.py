"""The ORM models; importing this package registers every table on the metadata."""

from models.audit_log import AuditLog
from models.auth_token import PasswordResetToken, RevokedToken
from models.claim import Claim
from models.claim_sequence import ClaimSequence
from models.coupon import Coupon, CouponUsage, coupon_plans
from models.email_delivery import EmailDelivery
from models.idempotency_key import IdempotencyKey
from models.invitation import Invitation
from models.invitation_data import InvitationData
from models.invitation_event import InvitationEvent
from models.invitation_media import InvitationMedia
from models.invitation_response import InvitationResponse
from models.invitation_response_change import InvitationResponseChange
from models.invitation_url import InvitationUrl
from models.job_outbox import OutboxJob
from models.order import Order, OrderEvent, OrderItem
from models.payment_transaction import PaymentTransaction
from models.plan import Plan
from models.retired_link_code import RetiredLinkCode
from models.rsvp_notice import RsvpNotice
from models.template import Template
from models.testimonial import Testimonial
from models.user import User

__all__ = [
    "AuditLog",
    "Claim",
    "ClaimSequence",
    "Coupon",
    "CouponUsage",
    "EmailDelivery",
    "IdempotencyKey",
    "Invitation",
    "InvitationData",
    "InvitationEvent",
    "InvitationMedia",
    "InvitationResponse",
    "InvitationResponseChange",
    "InvitationUrl",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OutboxJob",
    "PasswordResetToken",
    "PaymentTransaction",
    "Plan",
    "RetiredLinkCode",
    "RsvpNotice",
    "RevokedToken",
    "Template",
    "Testimonial",
    "User",
    "coupon_plans",
]
