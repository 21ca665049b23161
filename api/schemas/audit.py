"""The audit log as admins read it."""

from marshmallow import Schema, fields, validate

from api.schemas.common import PaginationArgs
from api.schemas.fields import Text
from utils.safe_json import INT64_MAX


class AuditActorSchema(Schema):
    id = fields.Integer(allow_none=True)
    email = fields.String(allow_none=True)


class AuditLogSchema(Schema):
    id = fields.Integer()
    actor = fields.Function(
        lambda row: (
            {"id": row.actor_id, "email": row.actor_email}
            if row.actor_id is not None or row.actor_email
            else None
        ),
        metadata={
            "type": "object",
            "nullable": True,
            "description": "Who acted; null for an operator's command (`flask seed`).",
        },
    )
    action = fields.String(metadata={"description": "`<entity_type>.<verb>`, e.g. `plan.update`."})
    entity_type = fields.String()
    entity_id = fields.String()
    changes = fields.Dict(
        metadata={"description": "`{field: [before, after]}`; secrets are never recorded."}
    )
    created_at = fields.DateTime()


class AuditLogQueryArgs(PaginationArgs):
    actor_id = fields.Integer(validate=validate.Range(min=1, max=INT64_MAX))
    entity_type = Text(validate=validate.Length(max=40))
    entity_id = Text(validate=validate.Length(max=64))
