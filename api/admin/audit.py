"""Admin: the audit log of every admin write."""

from api.admin import blp
from api.schemas.audit import AuditLogQueryArgs, AuditLogSchema
from api.schemas.common import page_of
from services import audit


@blp.get("/audit-log")
@blp.admin_required
@blp.arguments(AuditLogQueryArgs, location="query")
@blp.response(200, page_of(AuditLogSchema))
def list_audit_log(args):
    """Who changed what, newest first; filter by actor, entity type and entity id."""
    return audit.admin_list_audit_log(**args)
