"""The owner's e-mails about their guests' answers: at most one per invitation per
RSVP_NOTICE_SECONDS (five minutes), listing every answer since the last one (docs/guest-side.md,
"RSVP").

Each answer queues a `send_rsvp_notice` job to run a window after it. The job mails what
is new unless a notice left less than a window ago: then the answers after that notice
have jobs of their own, due later, and the last of them sends. So a burst of fifty answers
is one e-mail, a slow trickle one per window, and nothing is left out. The answers a notice
covers are recorded (`rsvp_notices`) in the transaction that queues its mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.invitation import Invitation
from models.invitation_response import STATUS_DECLINED
from models.invitation_response_change import CHANGE_CREATED, InvitationResponseChange
from models.rsvp_notice import RsvpNotice
from models.user import User
from services.mailer import queue_mail
from utils.db import execute_dml, transactional
from utils.jobs import enqueue
from utils.time import utcnow

# The most answers one e-mail lists; the rest are counted ("y 12 más").
MAX_LISTED = 30
# A notice leaves out answers younger than this (their transactions may not have committed,
# and ids are not handed out in commit order); their own jobs, due later, cover them.
MAX_SETTLE = timedelta(seconds=10)


def notify_owner_later(invitation_id: int) -> None:
    """Inside the answer's transaction: have the owner told, within a window of it."""
    enqueue("send_rsvp_notice", invitation_id, countdown=_window().total_seconds())


def send_rsvp_notice(invitation_id: int) -> int:
    """The job: mail the owner the answers not yet notified; returns how many it covered."""
    try:
        return _claim_and_queue(invitation_id)
    except IntegrityError:
        return 0  # another job recorded this invitation's first notice at the same moment


@transactional
def _claim_and_queue(invitation_id: int) -> int:
    window = _window()
    settle = min(MAX_SETTLE, window / 10)
    now = utcnow()
    notice = db.session.get(RsvpNotice, invitation_id)
    if notice is not None and now < notice.sent_at + window - 2 * settle:
        return 0  # answers after that notice have jobs of their own, due later
    since = notice.notified_through_change_id if notice is not None else 0
    new = (
        InvitationResponseChange.invitation_id == invitation_id,
        InvitationResponseChange.id > since,
        InvitationResponseChange.changed_at <= now - settle,
    )
    through, count = db.session.execute(
        select(func.max(InvitationResponseChange.id), func.count()).where(*new)
    ).one()
    if not count:
        return 0
    if not _record(invitation_id, notice, since, through, now):
        return 0
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.data is None or not invitation.data.rsvp_notify_owner:
        return count  # turned off meanwhile: covered, so turning it on does not flood them
    changes = db.session.scalars(
        select(InvitationResponseChange)
        .where(*new, InvitationResponseChange.id <= through)
        .order_by(InvitationResponseChange.id)
        .limit(MAX_LISTED)
    ).all()
    owner_email = db.session.execute(
        select(User.email).where(User.id == invitation.user_id)
    ).scalar_one()
    subject, body = _notice(invitation.title, changes, count)
    queue_mail(f"rsvp-notice:{invitation_id}:{since}-{through}", owner_email, subject, body)
    return count


def _record(invitation_id, notice, since: int, through: int, now) -> bool:
    """Mark the answers up to `through` notified, unless another job just did (then False)."""
    if notice is None:
        db.session.add(
            RsvpNotice(invitation_id=invitation_id, notified_through_change_id=through, sent_at=now)
        )
        db.session.flush()
        return True
    moved = execute_dml(
        update(RsvpNotice)
        .where(
            RsvpNotice.invitation_id == invitation_id,
            RsvpNotice.notified_through_change_id == since,
        )
        .values(notified_through_change_id=through, sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def _window() -> timedelta:
    # Jobs run inline without a broker: nothing is held back, each answer is its own notice.
    if current_app.extensions["celery"].conf.task_always_eager:
        return timedelta(0)
    return timedelta(seconds=current_app.config["RSVP_NOTICE_SECONDS"])


def _notice(title: str, changes: Sequence[InvitationResponseChange], count: int) -> tuple[str, str]:
    if count == 1:
        (change,) = changes
        verb = "Nueva respuesta" if change.change == CHANGE_CREATED else "Respuesta cambiada"
        return f"{verb}: {change.guest_name}", "\n".join(
            [*_lines(change), "", f"Invitación: {title}"]
        )
    lines = [f"{count} respuestas nuevas o cambiadas:", ""]
    for change in changes:
        lines += _lines(change)
    if count > len(changes):
        lines.append(f"… y {count - len(changes)} más: míralas en tu panel.")
    return f"{count} respuestas nuevas: {title}", "\n".join([*lines, "", f"Invitación: {title}"])


def _lines(change: InvitationResponseChange) -> list[str]:
    people = change.number_of_guests
    coming = (
        f"confirmó asistencia ({people} {'persona' if people == 1 else 'personas'})"
        if change.status != STATUS_DECLINED
        else "no podrá asistir"
    )
    lines = [f"{change.guest_name} {coming}."]
    if change.from_status is not None:
        lines.append(f"Antes: {change.from_status}, {change.from_number_of_guests} persona(s).")
    if change.message:
        lines.append(f"Mensaje: {change.message}")
    return lines
