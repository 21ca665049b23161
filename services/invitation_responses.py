"""The couple's RSVP dashboard: the answers, their summary and forecast, history, exports.

Owner only, and still everything after `online_until` or unpublishing (docs/guest-side.md, "RSVP
dashboard"). Every read is a fixed number of statements whatever the number of answers; the
exports read the answers in keyset batches so their memory does not grow with them.
"""

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from extensions import db
from models.invitation_response import (
    STATUS_CONFIRMED,
    STATUS_DECLINED,
    InvitationResponse,
)
from models.invitation_response_change import InvitationResponseChange
from models.invitation_url import KIND_GUEST, InvitationUrl
from models.user import User
from services import public_cache
from services.exceptions import NotFoundError
from services.invitations import get_owned_invitation
from utils.db import lock_one, text_search, transactional
from utils.pagination import Page, paginate
from utils.time import LIMA

EXPORT_FORMATS = ("csv", "xlsx")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Answers read per statement while exporting: memory stays that of one batch.
EXPORT_BATCH = 500
# Bytes of the finished workbook sent per chunk.
XLSX_CHUNK = 64 * 1024
# Workbooks up to this size are built in memory, larger ones in a temporary file.
XLSX_SPOOL = 1024 * 1024

EXPORT_COLUMNS = (
    "Nombre",
    "Estado",
    "Personas",
    "Teléfono",
    "Email",
    "Mensaje",
    "Restricciones alimentarias",
    "Pase (invitado)",
    "Pases",
    "Código",
    "Respondido",
    "Actualizado",
)
# Column widths of the workbook, in characters.
XLSX_WIDTHS = (28, 12, 10, 16, 28, 40, 28, 28, 8, 14, 26, 26)
STATUS_LABELS = {STATUS_CONFIRMED: "Confirmado", STATUS_DECLINED: "No asiste"}
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Control characters an .xlsx file cannot hold (XML 1.0); they are dropped from both formats.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
LINE_BREAK = re.compile(r"\r\n?")


class ResponseNotFoundError(NotFoundError):
    message = "Response not found."


@dataclass(frozen=True)
class RsvpSummary:
    total: int
    confirmed: int
    declined: int
    guests_confirmed: int
    guest_links_total: int
    guest_links_answered: int
    pending_links: int
    passes_total: int
    passes_pending: int
    guests_expected: int | None


@dataclass(frozen=True)
class Export:
    """A download whose checks have passed; `chunks` reads the answers as it is consumed."""

    filename: str
    content_type: str
    chunks: Iterator[bytes]


# --- Reading ------------------------------------------------------------------------------


def list_responses(
    user: User,
    invitation_id: int,
    *,
    page: int,
    per_page: int,
    status: str | None = None,
    q: str | None = None,
) -> Page:
    """The answers, newest first, each with its guest link: one statement per page (plus a
    COUNT when the page is full)."""
    invitation = get_owned_invitation(user, invitation_id)
    query = (
        select(InvitationResponse)
        .where(InvitationResponse.invitation_id == invitation.id)
        .options(joinedload(InvitationResponse.invitation_url))
        .order_by(InvitationResponse.created_at.desc(), InvitationResponse.id.desc())
    )
    if status is not None:
        query = query.where(InvitationResponse.status == status)
    if (contains := text_search(q)) is not None:
        query = query.where(
            or_(
                contains(InvitationResponse.guest_name),
                contains(InvitationResponse.phone),
                contains(InvitationResponse.email),
            )
        )
    return paginate(query, page, per_page)


def get_summary(user: User, invitation_id: int) -> RsvpSummary:
    """Counts over the answers and the active guest links, from two aggregate statements.

    `guests_expected` = `guests_confirmed` + round-half-up(`passes_pending` × r), r being
    the guests confirmed through active guest links ÷ the passes of the answered ones; None
    while no guest link is answered (or the answered ones hold no passes).
    """
    invitation = get_owned_invitation(user, invitation_id)
    confirmed = InvitationResponse.status == STATUS_CONFIRMED
    answers = db.session.execute(
        select(
            func.count(InvitationResponse.id),
            func.coalesce(func.sum(case((confirmed, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((InvitationResponse.status == STATUS_DECLINED, 1), else_=0)), 0
            ),
            func.coalesce(
                func.sum(case((confirmed, InvitationResponse.number_of_guests), else_=0)), 0
            ),
        ).where(InvitationResponse.invitation_id == invitation.id)
    ).one()
    passes = func.coalesce(InvitationUrl.max_guests, 0)
    answered = InvitationResponse.id.is_not(None)
    links = db.session.execute(
        select(
            func.count(InvitationUrl.id),
            func.count(InvitationResponse.id),
            func.coalesce(func.sum(passes), 0),
            func.coalesce(func.sum(case((answered, 0), else_=passes)), 0),
            func.coalesce(func.sum(case((answered, passes), else_=0)), 0),
            func.coalesce(
                func.sum(case((confirmed, InvitationResponse.number_of_guests), else_=0)), 0
            ),
        )
        .select_from(InvitationUrl)
        .outerjoin(InvitationResponse, InvitationResponse.invitation_url_id == InvitationUrl.id)
        .where(
            InvitationUrl.invitation_id == invitation.id,
            InvitationUrl.kind == KIND_GUEST,
            InvitationUrl.is_active.is_(True),
        )
    ).one()
    total, confirmed_count, declined, guests_confirmed = (int(value) for value in answers)
    (
        links_total,
        links_answered,
        passes_total,
        passes_pending,
        passes_answered,
        guests_through_links,
    ) = (int(value) for value in links)
    return RsvpSummary(
        total=total,
        confirmed=confirmed_count,
        declined=declined,
        guests_confirmed=guests_confirmed,
        guest_links_total=links_total,
        guest_links_answered=links_answered,
        pending_links=links_total - links_answered,
        passes_total=passes_total,
        passes_pending=passes_pending,
        guests_expected=expected_guests(
            guests_confirmed, passes_pending, guests_through_links, passes_answered
        ),
    )


def expected_guests(
    guests_confirmed: int, passes_pending: int, guests_through_links: int, passes_answered: int
) -> int | None:
    """The forecast: the pending passes answered the way the answered guest links were.

    Exact decimal arithmetic (the product before the division), rounded half up: 2.5 → 3.
    """
    if passes_answered <= 0:
        return None
    share = Decimal(passes_pending) * Decimal(guests_through_links) / Decimal(passes_answered)
    return guests_confirmed + int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def get_history(user: User, invitation_id: int, response_id: int) -> list[InvitationResponseChange]:
    """Every creation and change of one answer, oldest first."""
    invitation = get_owned_invitation(user, invitation_id)
    response = _response(invitation.id, response_id)
    return list(
        db.session.scalars(
            select(InvitationResponseChange)
            .where(InvitationResponseChange.response_id == response.id)
            .order_by(InvitationResponseChange.changed_at, InvitationResponseChange.id)
        )
    )


def list_activity(
    user: User,
    invitation_id: int,
    *,
    page: int,
    per_page: int,
    since: datetime | None = None,
) -> Page:
    """New and changed answers, newest first (served by `ix_invitation_response_changes_feed`);
    with `since`, only what happened after that instant."""
    invitation = get_owned_invitation(user, invitation_id)
    query = (
        select(InvitationResponseChange)
        .where(InvitationResponseChange.invitation_id == invitation.id)
        .order_by(InvitationResponseChange.changed_at.desc(), InvitationResponseChange.id.desc())
    )
    if since is not None:
        query = query.where(InvitationResponseChange.changed_at > since)
    return paginate(query, page, per_page)


# --- Writing ------------------------------------------------------------------------------


@transactional
def delete_response(user: User, invitation_id: int, response_id: int) -> None:
    """Remove one answer and its history (ON DELETE CASCADE). Its guest link's public page
    stops showing it on every worker once this commits; the guest may then answer again."""
    invitation = get_owned_invitation(user, invitation_id)
    response = lock_one(
        InvitationResponse,
        InvitationResponse.id == response_id,
        InvitationResponse.invitation_id == invitation.id,
    )
    if response is None:
        raise ResponseNotFoundError()
    public_cache.link_changed(response.invitation_url_id)
    db.session.delete(response)
    db.session.flush()


# --- Export -------------------------------------------------------------------------------


def export_responses(user: User, invitation_id: int, *, file_format: str = "csv") -> Export:
    """The answers as a spreadsheet (`csv` or `xlsx`), newest first. Ownership is checked
    now, so a refusal is an error answer; the rows are read in batches only as `chunks` is
    consumed."""
    invitation = get_owned_invitation(user, invitation_id)
    rows = _export_rows(invitation.id)
    if file_format == "xlsx":
        return Export(f"invitados-{invitation.id}.xlsx", XLSX_CONTENT_TYPE, _xlsx_chunks(rows))
    return Export(f"invitados-{invitation.id}.csv", CSV_CONTENT_TYPE, _csv_chunks(rows))


def neutralize_formula(value: str) -> str:
    """Text a spreadsheet shows as typed instead of running it: `=HYPERLINK(...)` becomes
    `'=HYPERLINK(...)`."""
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def _export_rows(invitation_id: int) -> Iterator[list[tuple]]:
    """The answers in batches of EXPORT_BATCH, newest first, by keyset on (created_at, id).

    Keyset batches rather than one streamed result: PyMySQL's default cursor loads a whole
    result set into memory, so one statement per batch keeps memory flat on MariaDB too.
    """
    query = (
        select(
            InvitationResponse.id,
            InvitationResponse.guest_name,
            InvitationResponse.status,
            InvitationResponse.number_of_guests,
            InvitationResponse.phone,
            InvitationResponse.email,
            InvitationResponse.message,
            InvitationResponse.dietary_restrictions,
            InvitationUrl.guest_name,
            InvitationUrl.max_guests,
            InvitationUrl.code,
            InvitationResponse.created_at,
            InvitationResponse.updated_at,
        )
        .outerjoin(InvitationUrl, InvitationUrl.id == InvitationResponse.invitation_url_id)
        .where(InvitationResponse.invitation_id == invitation_id)
        .order_by(InvitationResponse.created_at.desc(), InvitationResponse.id.desc())
        .limit(EXPORT_BATCH)
    )
    after = None
    while True:
        batch_query = query
        if after is not None:
            created_at, last_id = after
            batch_query = query.where(
                or_(
                    InvitationResponse.created_at < created_at,
                    and_(
                        InvitationResponse.created_at == created_at,
                        InvitationResponse.id < last_id,
                    ),
                )
            )
        batch = db.session.execute(batch_query).all()
        if batch:
            yield [_export_cells(row) for row in batch]
        if len(batch) < EXPORT_BATCH:
            return
        after = (batch[-1].created_at, batch[-1].id)


def _export_cells(row) -> tuple:
    (
        _id,
        name,
        status,
        guests,
        phone,
        email,
        message,
        dietary,
        link_name,
        passes,
        code,
        created_at,
        updated_at,
    ) = row
    return (
        _text(name),
        STATUS_LABELS.get(status, status),
        guests,
        _text(phone),
        _text(email),
        _text(message),
        _text(dietary),
        _text(link_name),
        passes,
        _text(code),
        _lima(created_at),
        _lima(updated_at),
    )


def _text(value: str | None) -> str | None:
    """A text cell, the same in both formats: without the control characters an .xlsx cannot
    hold, neutralised, its line breaks as LF (what a spreadsheet cell uses; an .xlsx reader
    turns a stored CR into LF anyway)."""
    if value is None:
        return None
    cell = neutralize_formula(XML_ILLEGAL.sub("", value))
    return LINE_BREAK.sub("\n", cell)


def _lima(moment: datetime) -> str:
    return moment.astimezone(LIMA).isoformat(timespec="seconds")


def _csv_chunks(batches: Iterator[list[tuple]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (Excel then reads the accents right), one chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield ("\ufeff" + _drain(buffer)).encode("utf-8")
    for batch in batches:
        writer.writerows(batch)
        yield _drain(buffer).encode("utf-8")


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _xlsx_chunks(batches: Iterator[list[tuple]]) -> Iterator[bytes]:
    """A write-only workbook (its rows go to disk as they are added), saved to a temporary
    file that is sent in chunks and removed once sent or abandoned."""
    with tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL) as file:
        workbook = Workbook(write_only=True)
        try:
            sheet = workbook.create_sheet("Invitados")
            for index, width in enumerate(XLSX_WIDTHS):
                sheet.column_dimensions[chr(ord("A") + index)].width = width
            sheet.append([_header_cell(sheet, title) for title in EXPORT_COLUMNS])
            for batch in batches:
                for row in batch:
                    sheet.append(row)
            workbook.save(file)
        finally:
            _remove_sheet_files(workbook)
        file.seek(0)
        while chunk := file.read(XLSX_CHUNK):
            yield chunk


def _header_cell(sheet, title: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=title)
    cell.font = Font(bold=True)
    return cell


def _remove_sheet_files(workbook: Workbook) -> None:
    """openpyxl deletes a write-only sheet's temporary file when the workbook is saved, else
    only when the process exits: after a failed export, close the sheet and delete it now."""
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None or not os.path.exists(writer.out):
            continue
        if not sheet.closed:
            sheet.close()
        writer.cleanup()


# --- Helpers ------------------------------------------------------------------------------


def _response(invitation_id: int, response_id: int) -> InvitationResponse:
    response = db.session.scalar(
        select(InvitationResponse).where(
            InvitationResponse.id == response_id,
            InvitationResponse.invitation_id == invitation_id,
        )
    )
    if response is None:
        raise ResponseNotFoundError()
    return response
