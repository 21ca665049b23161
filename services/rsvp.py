"""Guests' answers (docs/guest-side.md, "RSVP"): one per guest link, one per guest through the main
or custom code, changeable until the deadline, every version kept.

A first answer is inserted straight away: most answers are new, and the unique keys
(`invitation_url_id`, and `invitation_id` + `dedupe_key`) refuse a second row for one guest.
When the insert is refused the guest has answered before (or is answering right now from a
second tab), and the submit is retried on the locking path: the guest link's row is locked
while its answer is read and changed (MariaDB; SQLite serialises writers). So concurrent
submits for one guest never leave two rows.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from extensions import db
from models.invitation import Invitation
from models.invitation_response import STATUS_DECLINED, InvitationResponse
from models.invitation_response_change import (
    CHANGE_CHANGED,
    CHANGE_CREATED,
    InvitationResponseChange,
)
from models.invitation_url import KIND_GUEST, InvitationUrl
from services import public_cache, rsvp_notices
from services.exceptions import ConflictError, ValidationError
from services.public_pages import load_link, max_party_size, rsvp_state
from utils.db import asks_for_restart, transactional
from utils.metrics import RSVPS
from utils.phones import PHONE_RULE, normalize_phone

logger = logging.getLogger(__name__)

ANSWER_FIELDS = (
    "guest_name",
    "status",
    "number_of_guests",
    "phone",
    "email",
    "message",
    "dietary_restrictions",
)


class RsvpClosedError(ConflictError):
    code = "rsvp_closed"
    message = "This invitation is not taking answers (closed, past its deadline or disabled)."


@dataclass(frozen=True)
class RsvpResult:
    response: InvitationResponse
    created: bool


def submit(code: str, answer: dict) -> RsvpResult:
    """Record a guest's answer through `code`: created (201) or changed (200)."""
    for attempt in range(3):
        try:
            result = _submit(code, answer, first_try=attempt == 0)
        except IntegrityError:
            if attempt == 2:
                raise
            continue  # another submit for the same guest won: update its row
        except OperationalError as error:
            if attempt == 2 or not asks_for_restart(error):
                raise
            continue
        RSVPS.labels("created" if result.created else "changed").inc()
        return result
    raise AssertionError("unreachable")


@transactional
def _submit(code: str, answer: dict, *, first_try: bool) -> RsvpResult:
    url = load_link(code, with_content=False)
    invitation = url.invitation
    guest_link = url if url.kind == KIND_GUEST else None
    if not rsvp_state(invitation, guest_link)["open"]:
        RSVPS.labels("closed").inc()
        raise RsvpClosedError()
    answer = _checked(answer, max_party_size(invitation, guest_link))

    dedupe_key = None if guest_link else _dedupe_key(answer["guest_name"], answer.get("phone"))
    if first_try and (guest_link is None or guest_link.response is None):
        existing = None
    elif guest_link is not None:
        _lock_link(guest_link.id)
        existing = _locked_response(InvitationResponse.invitation_url_id == guest_link.id)
    else:
        existing = _locked_response(
            InvitationResponse.invitation_id == invitation.id,
            InvitationResponse.dedupe_key == dedupe_key,
        )

    if existing is None:
        response = InvitationResponse(
            invitation_id=invitation.id,
            invitation_url_id=guest_link.id if guest_link is not None else None,
            dedupe_key=dedupe_key,
            **answer,
        )
        db.session.add(response)
        _record(response, invitation, CHANGE_CREATED, previous=None)
        created = True
    else:
        response = existing
        previous = (response.status, response.number_of_guests)
        changed = [name for name in ANSWER_FIELDS if getattr(response, name) != answer.get(name)]
        for name in changed:
            setattr(response, name, answer.get(name))
        if changed:
            _record(response, invitation, CHANGE_CHANGED, previous=previous)
        created = False
    if guest_link is not None:
        public_cache.link_changed(guest_link.id)
    return RsvpResult(response, created)


def _checked(answer: dict, max_guests: int) -> dict:
    """The answer as stored: phone normalised, a decline with 0 guests, within the passes."""
    problems: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {name: answer.get(name) for name in ANSWER_FIELDS}
    cleaned["guest_name"] = " ".join(answer["guest_name"].split())
    for name in ("email", "message", "dietary_restrictions"):
        value = cleaned[name]
        cleaned[name] = value.strip() or None if isinstance(value, str) else None
    if cleaned["email"] is not None:
        cleaned["email"] = cleaned["email"].lower()
    if cleaned["phone"]:
        phone = normalize_phone(cleaned["phone"])
        if phone is None:
            problems["phone"] = [f"Must be {PHONE_RULE}."]
        cleaned["phone"] = phone
    else:
        cleaned["phone"] = None
    if cleaned["status"] == STATUS_DECLINED:
        cleaned["number_of_guests"] = 0
    elif cleaned["number_of_guests"] > max_guests:
        problems["number_of_guests"] = [
            f"This invitation is for at most {max_guests} "
            f"{'person' if max_guests == 1 else 'people'}."
        ]
    if problems:
        raise ValidationError(details=problems)
    return cleaned


def _dedupe_key(guest_name: str, phone: str | None) -> str:
    """The same guest whatever the accents, case or spacing of their name: `José  PÉREZ`
    and `jose perez` with one phone are one answer."""
    decomposed = unicodedata.normalize("NFKD", guest_name.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    name = " ".join(re.sub(r"[^\w\s]", " ", letters).split())
    return hashlib.sha256(f"{name}|{phone or ''}".encode()).hexdigest()


def _lock_link(url_id: int) -> None:
    db.session.execute(select(InvitationUrl.id).where(InvitationUrl.id == url_id).with_for_update())


def _locked_response(*conditions) -> InvitationResponse | None:
    return db.session.scalar(
        select(InvitationResponse)
        .where(*conditions)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _record(
    response: InvitationResponse, invitation: Invitation, change: str, previous: tuple | None
) -> None:
    # Appended to the response, so both rows go in one flush at commit.
    response.changes.append(
        InvitationResponseChange(
            invitation_id=response.invitation_id,
            change=change,
            from_status=previous[0] if previous else None,
            from_number_of_guests=previous[1] if previous else None,
            status=response.status,
            number_of_guests=response.number_of_guests,
            guest_name=response.guest_name,
            message=response.message,
        )
    )
    if invitation.data is not None and invitation.data.rsvp_notify_owner:
        rsvp_notices.notify_owner_later(invitation.id)
