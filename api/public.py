"""What guests reach without an account: an invitation's page, its RSVP and its calendar."""

from flask import current_app, g, request

from api.blueprint import Blueprint
from api.idempotency import idempotent
from api.schemas.common import IdempotencyKeyHeader
from api.schemas.public import (
    PublicInvitationSchema,
    RsvpResultSchema,
    RsvpSchema,
)
from services import calendar_files, public_pages, rsvp
from utils.rate_limits import rate_limit

blp = Blueprint(
    "public", __name__, url_prefix="/api/public/invitations", description="Guests (no account)"
)

ETAG_HEADER = {
    "ETag": {
        "description": "Send it back as If-None-Match: an unchanged page answers 304.",
        "schema": {"type": "string"},
        "required": True,
    }
}
# Guests' browsers may keep the page but must ask again each time (it changes with edits,
# and a personal link's page names its guest).
PAGE_CACHE_CONTROL = "private, no-cache"


# Built once: a schema instance is reusable, and building one (with its nested schemas) costs
# more than dumping a page.
PAGE_SCHEMA = PublicInvitationSchema()


def render_page(view: public_pages.PublicView) -> bytes:
    return current_app.json.dumps(PAGE_SCHEMA.dump(view)).encode()


def requested_invitation() -> int | None:
    """The invitation the path's code opens for guests, looked up once per request."""
    if "public_invitation_id" not in g:
        g.public_invitation_id = public_pages.visible_invitation_id(
            (request.view_args or {})["code"]
        )
    return g.public_invitation_id


@blp.before_request
def resolve_answered_code():
    """An answer's code is resolved before its rate limit is counted (by invitation) and
    outside it: the limiter would take a failing lookup for its own storage failing."""
    if request.method == "POST" and request.endpoint == "public.submit_rsvp":
        requested_invitation()


def answered_invitation() -> str:
    """What the RSVP limit counts by besides the IP: the invitation whatever code or spelling
    reached it; unknown codes all count together."""
    invitation_id = requested_invitation()
    return f"invitation:{invitation_id if invitation_id is not None else 'none'}"


def rsvp_key_scope(code: str) -> str:
    """Whose Idempotency-Keys an answer's are: its code's, once the code is known to open an
    invitation (404 before any key is stored)."""
    if requested_invitation() is None:
        raise public_pages.PublicPageNotFoundError()
    return f"rsvp:{code.lower()}"


@blp.get("/<code>")
@blp.response(200, PublicInvitationSchema, headers=ETAG_HEADER)
@blp.alt_response(304, description="Unchanged since the ETag sent as If-None-Match")
@blp.alt_response(404, schema="Error", description="Unknown or inactive code, or not published")
@blp.alt_response(410, schema="Error", description="`invitation_expired`")
def get_public_invitation(code: str):
    """The invitation as its guests see it; through a personal link, with that guest's block."""
    page = public_pages.public_page(code, render_page)
    etag = f'"{page.etag}"'
    if request.if_none_match.contains(page.etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(page.body, mimetype="application/json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    return response


@blp.post("/<code>/rsvp")
@rate_limit("rsvp", subject=answered_invitation)
@idempotent(rsvp_key_scope)
@blp.arguments(IdempotencyKeyHeader, location="headers")
@blp.arguments(RsvpSchema)
@blp.response(201, RsvpResultSchema, description="A new answer")
@blp.alt_response(200, schema=RsvpResultSchema, description="An answer changed (same guest)")
@blp.alt_response(404, schema="Error")
@blp.alt_response(409, schema="Error", description="`rsvp_closed`, or the same Idempotency-Key "
                  "still being processed (`conflict`)")  # fmt: skip
@blp.alt_response(410, schema="Error", description="`invitation_expired`")
@blp.alt_response(422, schema="Error", description="Also `idempotency_key_reused`")
@blp.alt_response(429, schema="Error")
def submit_rsvp(_headers, answer, code: str):
    """Confirm or decline. Through a personal link one answer per link, changeable until the
    deadline; through the main code the same name and phone change their earlier answer."""
    result = rsvp.submit(code, answer)
    return result.response, 201 if result.created else 200


@blp.get("/<code>/calendar.ics")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/calendar",
    description="RFC 5545 calendar: one event per timeline event, America/Lima times",
)
@blp.alt_response(404, schema="Error")
@blp.alt_response(410, schema="Error", description="`invitation_expired`")
def get_calendar(code: str):
    """The invitation's events for the guest's calendar app."""
    view = public_pages.build_view(public_pages.load_link(code))
    body = calendar_files.invitation_calendar(view)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers.set("Content-Disposition", "attachment", filename=f"{view.code}.ics")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
