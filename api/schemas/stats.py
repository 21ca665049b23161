"""The admin's figures."""

from marshmallow import Schema, fields

from models.order import ORDER_STATUSES


class StatsQueryArgs(Schema):
    date_from = fields.Date(metadata={"description": "First Lima day counted (inclusive)."})
    date_to = fields.Date(metadata={"description": "Last Lima day counted (inclusive)."})


class RevenueMonthSchema(Schema):
    month = fields.String(metadata={"description": "`YYYY-MM`, Lima time."})
    total = fields.String(metadata={"description": "Paid minus refunded, two decimals."})


class StatsSchema(Schema):
    users_total = fields.Integer()
    orders_by_status = fields.Dict(
        keys=fields.String(), values=fields.Integer(),
        metadata={"description": f"Every status: {', '.join(ORDER_STATUSES)}."},
    )  # fmt: skip
    revenue_total = fields.String(metadata={"description": "Paid minus refunded (PEN)."})
    revenue_by_month = fields.List(fields.Nested(RevenueMonthSchema))
    payment_success_rate = fields.Float(
        allow_none=True,
        metadata={
            "description": "Notifications reporting PAID ÷ all notifications; null without any."
        },
    )
    payment_notifications = fields.Integer()
    invitations_published = fields.Integer()
    rsvps_total = fields.Integer()
    claims_pending = fields.Integer(metadata={"description": "Claims not answered yet."})
    claims_overdue = fields.Integer(metadata={"description": "Not answered and past due."})
    date_from = fields.Date(allow_none=True)
    date_to = fields.Date(allow_none=True)
