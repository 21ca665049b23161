"""An invitation's links as its owner manages them: custom slugs, guest links ("pases"),
their CSV import, WhatsApp messages and QR codes (docs/guest-side.md, "Links").

Links are deactivated, never deleted or reused: a printed QR code or a message already sent
keeps pointing at the same guest's page (gone once deactivated), never at someone else's.
Only an account's erasure deletes them, and it keeps their codes as tombstones.
"""

import csv
import io
import re
from dataclasses import dataclass
from urllib.parse import quote

import segno
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from models.invitation import Invitation
from models.invitation_url import KIND_CUSTOM, KIND_GUEST, KIND_MAIN, InvitationUrl
from models.user import User
from services import public_cache
from services.exceptions import (
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationError,
)
from services.invitations import get_owned_invitation
from services.plan_rules import PlanLimitReachedError, check_limit, plan_features, require_feature
from services.provisioning import code_is_retired, new_link_code
from utils.db import restarted_on_deadlock, transactional
from utils.links import short_link_url
from utils.phones import PHONE_RULE, normalize_phone

# What "trimmed" removes: ASCII whitespace only, the set the document's patterns name.
ASCII_WHITESPACE = " \t\n\r\f\v"

SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 60
# A slug once trimmed and lower-cased: letters, digits and single inner hyphens.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Paths of the site and the SPA a slug must not look like, and words that would mislead.
RESERVED_SLUGS = frozenset(
    {
        "about", "account", "admin", "api", "app", "assets", "auth", "cart", "checkout",
        "claims", "config", "contact", "dashboard", "docs", "editor", "faq", "favicon-ico",
        "health", "help", "home", "i", "index", "invitacion", "invitaciones", "invitation",
        "invitations", "izipay", "libro-de-reclamaciones", "login", "logout", "media",
        "metrics", "new", "null", "openapi", "orders", "payments", "plans", "preview",
        "privacidad", "privacy", "public", "r", "reclamaciones", "register", "robots-txt",
        "root", "rsvp", "settings", "signup", "sitemap", "soporte", "static", "support",
        "templates", "terminos", "terms", "testimonials", "undefined", "uploads", "user",
        "users", "www",
    }
)  # fmt: skip

GUEST_NAME_MAX_LENGTH = 150
MAX_GUESTS = 20

IMPORT_MAX_ROWS = 2000
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_COLUMNS = ("guest_name", "max_guests", "phone")
IMPORT_REQUIRED_COLUMNS = ("guest_name", "max_guests")
IMPORT_HEADER_HELP = (
    "The first line must be the header guest_name,max_guests,phone (phone is optional; "
    "commas or semicolons)."
)
# A few digits: a longer number is out of range anyway, and is never read as an int.
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")

WHATSAPP_URL = "https://wa.me/"
PLACEHOLDERS = re.compile(r"\{(guest_name|passes|link)\}")

QR_ERROR_LEVEL = "m"
QR_BORDER = 4  # modules of quiet zone, what the QR standard asks for
QR_SCALE = 10  # pixels per module in the PNG (and user units in the SVG)
QR_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


class LinkNotFoundError(NotFoundError):
    message = "Link not found."


class SlugTakenError(ConflictError):
    code = "slug_taken"
    message = "This link name is already taken; choose another one."


@dataclass(frozen=True)
class GuestRow:
    guest_name: str
    max_guests: int
    phone: str | None


@dataclass(frozen=True)
class QrImage:
    content: bytes
    mimetype: str
    filename: str


# --- Reading ------------------------------------------------------------------------------


def list_links(
    user: User, invitation_id: int, *, include_inactive: bool = False
) -> list[InvitationUrl]:
    """The invitation's links, oldest first: a fixed number of queries however many."""
    invitation = _owned_with_data(user, invitation_id)
    query = _links_query(invitation.id)
    if not include_inactive:
        query = query.where(InvitationUrl.is_active.is_(True))
    return list(db.session.scalars(query))


def qr_code(user: User, invitation_id: int, url_id: int, image_format: str) -> QrImage:
    """The QR code of an active link's short URL, as PNG or SVG, ready to print."""
    invitation = get_owned_invitation(user, invitation_id)
    link = _link_of(invitation, url_id)
    if not link.is_active:
        raise LinkNotFoundError("This link was deleted; its QR code would lead nowhere.")
    qr = segno.make(short_link_url(link.code), error=QR_ERROR_LEVEL, micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind=image_format, scale=QR_SCALE, border=QR_BORDER)
    return QrImage(buffer.getvalue(), QR_FORMATS[image_format], f"{link.code}.{image_format}")


def whatsapp_url(link: InvitationUrl) -> str | None:
    """`https://wa.me/<digits>?text=...` for a guest link (no digits without a phone); None
    for the main and custom links. Reads the invitation's data row, loaded once per request."""
    if link.kind != KIND_GUEST:
        return None
    data = link.invitation.data
    template = (data.whatsapp_message if data is not None else None) or ""
    values = {
        "guest_name": link.guest_name or "",
        "passes": str(link.max_guests or 1),
        "link": short_link_url(link.code),
    }
    if template.strip():
        # One pass, so a guest named "{link}" stays as typed; other braces are left alone.
        text = PLACEHOLDERS.sub(lambda match: values[match.group(1)], template)
    else:
        text = _default_message(values["guest_name"], link.max_guests or 1, values["link"])
    return f"{WHATSAPP_URL}{link.phone or ''}?text={quote(text, safe='')}"


def _default_message(guest_name: str, passes: int, link: str) -> str:
    passes_text = "1 pase" if passes == 1 else f"{passes} pases"
    return (
        f"¡Hola, {guest_name}! Nos encantaría que nos acompañes en nuestra celebración. "
        f"Tu invitación es válida para {passes_text}. Aquí tienes todos los detalles y "
        f"puedes confirmar tu asistencia: {link}"
    )


# --- Writing ------------------------------------------------------------------------------


# A drawn link code taken meanwhile is drawn again once (custom slugs turn theirs into 409
# before that). Two inserts of one unique code (a slug asked for twice, or one whose earlier
# insert was rolled back and not yet purged) hold gap locks of the code index that other
# inserts can cross; InnoDB then rolls one transaction back as a deadlock victim.
_restarted = restarted_on_deadlock(collisions=1)


def create_link(user: User, invitation_id: int, *, kind: str, **fields) -> InvitationUrl:
    """A custom slug (`slug`) or a guest link (`guest_name`, `max_guests`, `phone`)."""
    if kind == KIND_CUSTOM:
        link_id = _create_custom_link(user, invitation_id, **fields)
    else:
        link_id = _create_guest_link(user, invitation_id, **fields)
    return _loaded_links(invitation_id, [link_id])[0]


def import_guest_links(user: User, invitation_id: int, content: bytes) -> list[InvitationUrl]:
    """Guest links from a CSV file: all of them or, if any row is wrong, none."""
    if len(content) > IMPORT_MAX_BYTES:
        raise PayloadTooLargeError(
            f"A guest list may be at most {IMPORT_MAX_BYTES // (1024 * 1024)} MB."
        )
    rows = read_guest_csv(content)
    ids = _create_guest_links(user, invitation_id, rows)
    return _loaded_links(invitation_id, ids)


@transactional
def deactivate_link(user: User, invitation_id: int, url_id: int) -> None:
    """Take a custom or guest link offline for good. Its code is never given to another link
    and its guest's answer stays in the owner's list; deactivating twice is fine."""
    invitation = get_owned_invitation(user, invitation_id)
    link = _link_of(invitation, url_id)
    if link.kind == KIND_MAIN:
        raise ConflictError(
            "The main link cannot be deleted; unpublish the invitation to take it offline."
        )
    if not link.is_active:
        return
    link.is_active = False
    public_cache.link_changed(link.id)


@_restarted
@transactional
def _create_custom_link(user: User, invitation_id: int, *, slug: str) -> int:
    """The one custom link of the invitation. Written first and checked after: on MariaDB
    the insert then waits only on the unique code index (a concurrent insert of the same
    slug), before this transaction takes any lock on the invitation's range of links."""
    invitation = _locked_for_links(user, invitation_id)
    require_feature(invitation, "custom_slug")
    slug = normalize_slug(slug)
    holder = _link_with_code(slug)
    if holder is None and code_is_retired(slug):
        raise SlugTakenError()
    if holder is None:
        link = InvitationUrl(invitation_id=invitation.id, kind=KIND_CUSTOM, code=slug)
        db.session.add(link)
        try:
            db.session.flush()
        except IntegrityError as error:
            # Another invitation took the slug after this one looked.
            raise SlugTakenError() from error
    elif holder.invitation_id != invitation.id or holder.kind != KIND_CUSTOM:
        raise SlugTakenError()
    elif holder.is_active:
        raise _one_custom_link_error()
    else:
        # This invitation's own retired slug leads to this same invitation again.
        link = holder
        link.is_active = True
        public_cache.link_changed(link.id)
    if _active_custom_links(invitation) > 1:
        raise _one_custom_link_error()
    return link.id


def _one_custom_link_error() -> ConflictError:
    return ConflictError(
        "This invitation already has a custom link; delete it first to choose another."
    )


@_restarted
@transactional
def _create_guest_link(
    user: User, invitation_id: int, *, guest_name: str, max_guests: int, phone: str | None = None
) -> int:
    phone = _trimmed(phone) if phone else ""
    normalized = _normalized_phone(phone) if phone else None
    if phone and normalized is None:
        raise ValidationError(details={"phone": [f"Must be {PHONE_RULE}."]})
    row = GuestRow(guest_name=_trimmed(guest_name), max_guests=max_guests, phone=normalized)
    invitation = _locked_for_links(user, invitation_id)
    check_limit(invitation, "max_guest_links", _active_guest_links(invitation))
    return _insert_guest_links(invitation, [row])[0]


@_restarted
@transactional
def _create_guest_links(user: User, invitation_id: int, rows: list[GuestRow]) -> list[int]:
    invitation = _locked_for_links(user, invitation_id)
    active = _active_guest_links(invitation)
    allowed = int(plan_features(invitation).get("max_guest_links") or 0)
    if active + len(rows) > allowed:
        raise PlanLimitReachedError(
            f"Your plan allows {allowed} guest links (max_guest_links): {active} are active "
            f"and the file has {len(rows)} more."
        )
    return _insert_guest_links(invitation, rows)


def _insert_guest_links(invitation: Invitation, rows: list[GuestRow]) -> list[int]:
    """Insert the links with new random codes, each checked free when drawn. Should a
    concurrent insert take one first, the unique index refuses it (IntegrityError) and
    `_restarted` runs the transaction again with new codes."""
    links = [
        InvitationUrl(
            invitation_id=invitation.id,
            kind=KIND_GUEST,
            code=new_link_code(),
            guest_name=row.guest_name,
            max_guests=row.max_guests,
            phone=row.phone,
        )
        for row in rows
    ]
    db.session.add_all(links)
    db.session.flush()
    return [link.id for link in links]


# --- Checks -------------------------------------------------------------------------------


def normalize_slug(value: str) -> str:
    """`  Ana-Y-Luis ` -> `ana-y-luis`, or 422 naming `slug`."""
    slug = _trimmed(value).lower()
    if not SLUG_MIN_LENGTH <= len(slug) <= SLUG_MAX_LENGTH:
        problem = f"Must be {SLUG_MIN_LENGTH} to {SLUG_MAX_LENGTH} characters once trimmed."
    elif SLUG_PATTERN.fullmatch(slug) is None:
        problem = "Only letters, digits and single hyphens between them."
    elif slug in RESERVED_SLUGS:
        problem = "This word is reserved by the site; choose another one."
    else:
        return slug
    raise ValidationError(details={"slug": [problem]})


def read_guest_csv(content: bytes) -> list[GuestRow]:
    """The guest rows of a CSV file (UTF-8 with or without BOM, or Windows-1252; commas or
    semicolons), or 422: `details.file` for the file as a whole, `details.rows` mapping each
    bad line number (the header is line 1) to its problems."""
    text = _decoded(content)
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        columns = _columns(next(reader, []))
        rows: list[GuestRow] = []
        problems: dict[str, list[str]] = {}
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if not any(cell.strip(ASCII_WHITESPACE) for cell in cells):
                continue
            if len(rows) + len(problems) == IMPORT_MAX_ROWS:
                raise _file_error(f"A guest list may have at most {IMPORT_MAX_ROWS} rows.")
            row, row_problems = _guest_row(columns, cells)
            if row is None:
                problems[str(line)] = row_problems
            else:
                rows.append(row)
    except csv.Error as error:
        raise _file_error(f"Line {reader.line_num} is not valid CSV ({error}).") from error
    if problems:
        raise ValidationError(
            "Some rows of the file are not valid; nothing was imported.",
            details={"rows": problems},
        )
    if not rows:
        raise _file_error("The file has a header but no guests.")
    return rows


def _decoded(content: bytes) -> str:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            text = None
    if text is None or "\x00" in text:
        raise _file_error("This is not a CSV text file: save the sheet as CSV (UTF-8 or Windows).")
    if not text.strip():
        raise _file_error(f"The file is empty. {IMPORT_HEADER_HELP}")
    return text


def _columns(header: list[str]) -> list[str]:
    names = [cell.strip(ASCII_WHITESPACE).lower() for cell in header]
    while names and not names[-1]:
        names.pop()  # spreadsheets leave empty cells after the last column
    found = {
        "unknown columns": [name or "(empty)" for name in names if name not in IMPORT_COLUMNS],
        "missing": [name for name in IMPORT_REQUIRED_COLUMNS if name not in names],
        "repeated": sorted({name for name in names if names.count(name) > 1}),
    }
    if any(found.values()):
        wrong = "; ".join(f"{what}: {', '.join(cols)}" for what, cols in found.items() if cols)
        raise _file_error(f"{IMPORT_HEADER_HELP} This file has {wrong}.")
    return names


def _guest_row(columns: list[str], cells: list[str]) -> tuple[GuestRow | None, list[str]]:
    values = [cell.strip(ASCII_WHITESPACE) for cell in cells]
    problems = []
    if any(values[len(columns) :]):
        problems.append(f"Has more values than the header's {len(columns)} columns.")
    cell = dict(zip(columns, values + [""] * (len(columns) - len(values)), strict=False))
    name = cell["guest_name"]
    if not name:
        problems.append("guest_name is required.")
    elif len(name) > GUEST_NAME_MAX_LENGTH:
        problems.append(f"guest_name must be at most {GUEST_NAME_MAX_LENGTH} characters.")
    passes = cell["max_guests"]
    if WHOLE_NUMBER.fullmatch(passes) is None or not 1 <= int(passes) <= MAX_GUESTS:
        problems.append(f"max_guests must be a whole number from 1 to {MAX_GUESTS}.")
    phone = cell.get("phone") or None
    normalized = _normalized_phone(phone) if phone else None
    if phone and normalized is None:
        problems.append(f"phone must be {PHONE_RULE}.")
    if problems:
        return None, problems
    return GuestRow(guest_name=name, max_guests=int(passes), phone=normalized), []


def _normalized_phone(phone: str) -> str | None:
    normalized = normalize_phone(phone)
    # normalize_phone's \d also takes non-ASCII digits, which wa.me does not.
    return normalized if normalized is not None and normalized.isascii() else None


def _file_error(message: str) -> ValidationError:
    return ValidationError(message, details={"file": [message]})


def _trimmed(value: str) -> str:
    return value.strip(ASCII_WHITESPACE)


# --- Queries ------------------------------------------------------------------------------


def _owned_with_data(user: User, invitation_id: int) -> Invitation:
    return get_owned_invitation(user, invitation_id, options=(joinedload(Invitation.data),))


def _links_query(invitation_id: int):
    """Links with what their items show: the answer, and (for the WhatsApp text) the
    invitation's data, which the session already holds or loads once."""
    return (
        select(InvitationUrl)
        .where(InvitationUrl.invitation_id == invitation_id)
        .options(
            selectinload(InvitationUrl.response),
            selectinload(InvitationUrl.invitation).joinedload(Invitation.data),
        )
        .order_by(InvitationUrl.id)
    )


def _loaded_links(invitation_id: int, ids: list[int]) -> list[InvitationUrl]:
    return list(db.session.scalars(_links_query(invitation_id).where(InvitationUrl.id.in_(ids))))


def _link_with_code(code: str) -> InvitationUrl | None:
    """The link of any invitation and kind, active or not, with this code (codes are
    lower-case, and MariaDB compares them case-insensitively anyway)."""
    return db.session.scalar(select(InvitationUrl).where(InvitationUrl.code == code))


def _link_of(invitation: Invitation, url_id: int) -> InvitationUrl:
    link = db.session.scalar(
        select(InvitationUrl).where(
            InvitationUrl.id == url_id, InvitationUrl.invitation_id == invitation.id
        )
    )
    if link is None:
        raise LinkNotFoundError()
    return link


def _locked_for_links(user: User, invitation_id: int) -> Invitation:
    """The invitation, locked so that link writes to it (limits, the one custom slug) happen
    one at a time until commit.

    MariaDB: the row lock of SELECT ... FOR UPDATE. SQLite has no row locks, but a
    transaction's first write takes the database's write lock until commit: a no-op UPDATE
    of the row takes it before anything is counted. The version is not bumped, since new
    links change nothing the invitation's public page shows.
    """
    invitation = get_owned_invitation(user, invitation_id, for_update=True)
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(updated_at=Invitation.updated_at)
        .execution_options(synchronize_session=False)
    )
    return invitation


def _active_guest_links(invitation: Invitation) -> int:
    return _active_links(invitation, KIND_GUEST)


def _active_custom_links(invitation: Invitation) -> int:
    return _active_links(invitation, KIND_CUSTOM)


def _active_links(invitation: Invitation, kind: str) -> int:
    """A locking read: on MariaDB it sees links committed after this transaction's snapshot
    (a plain count would not, under REPEATABLE READ)."""
    ids = db.session.scalars(
        select(InvitationUrl.id)
        .where(
            InvitationUrl.invitation_id == invitation.id,
            InvitationUrl.kind == kind,
            InvitationUrl.is_active.is_(True),
        )
        .with_for_update()
    ).all()
    return len(ids)
