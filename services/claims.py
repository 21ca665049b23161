"""Libro de Reclamaciones: filing with a gapless yearly code, tracking, the admin's answer.

Codes are `LR-<year>-<number>`, the year being the filing date's in Lima. The number comes
from the year's `claim_sequences` row, incremented inside the filing transaction by
`UPDATE ... SET last_number = last_number + 1`: MariaDB locks the row until commit and
SQLite's single writer holds its write lock, so concurrent filings queue there and each
commits the next number, or rolls back having used none. The first filing of a year inserts
the row; two doing so at once collide on its primary key (or MariaDB's gap locks make one a
deadlock victim) and the loser files again, finding the row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models.claim import (
    STATUS_ANSWERED,
    STATUS_IN_REVIEW,
    STATUS_PENDING,
    Claim,
)
from models.claim_sequence import ClaimSequence
from models.order import Order, normalize_order_number
from models.user import User
from services import audit
from services.exceptions import InvalidStateError, NotFoundError, ValidationError
from services.mailer import queue_mail
from utils.business_days import add_business_days, business_days_between
from utils.db import execute_dml, restarted_on_deadlock, transactional
from utils.emails import normalize_email
from utils.money import format_money
from utils.pagination import Page, paginate
from utils.spanish_dates import short_date
from utils.time import lima_date, utcnow

RESPONSE_BUSINESS_DAYS = 15
# A first filing of the year racing others may lose a couple of times before the row exists.
FILING_ATTEMPTS = 5
CODE_PREFIX = "LR"

CLAIM_FIELDS = (
    "claim_type",
    "full_name",
    "document_type",
    "document_number",
    "address",
    "phone",
    "email",
    "is_minor",
    "guardian_name",
    "item_type",
    "item_description",
    "amount",
    "detail",
    "consumer_request",
)


class ClaimNotFoundError(NotFoundError):
    message = "Claim not found."


class ClaimStateError(InvalidStateError):
    pass


def format_code(year: int, number: int) -> str:
    return f"{CODE_PREFIX}-{year}-{number:06d}"


# --- Filing and tracking -------------------------------------------------------------------


@restarted_on_deadlock(FILING_ATTEMPTS, collisions=FILING_ATTEMPTS - 1)
@transactional
def file_claim(data: dict, user: User | None = None) -> Claim:
    """Record a claim (the schema's fields), number it and send the filer a copy."""
    order = _filers_order(data.get("order_number"), user)
    now = utcnow()
    filed_on = lima_date(now)
    number = _next_number(filed_on.year)
    claim = Claim(
        code=format_code(filed_on.year, number),
        **{name: data.get(name) for name in CLAIM_FIELDS},
        order_id=order.id if order else None,
        user_id=user.id if user else None,
        status=STATUS_PENDING,
        response_due_date=add_business_days(filed_on, RESPONSE_BUSINESS_DAYS),
        created_at=now,
        updated_at=now,
    )
    db.session.add(claim)
    db.session.flush()
    _filing_copy(claim, filed_on, order.order_number if order else None)
    return claim


def _filers_order(order_number: str | None, user: User | None) -> Order | None:
    if not order_number:
        return None
    if user is None:
        raise ValidationError(details={"order_number": ["Sign in to link one of your orders."]})
    order = db.session.scalar(
        select(Order).where(
            Order.order_number == normalize_order_number(order_number), Order.user_id == user.id
        )
    )
    if order is None:
        raise ValidationError(details={"order_number": ["You have no order with this number."]})
    return order


def _next_number(year: int) -> int:
    """The year's next claim number, its counter row locked until the transaction ends."""
    bumped = execute_dml(
        update(ClaimSequence)
        .where(ClaimSequence.year == year)
        .values(last_number=ClaimSequence.last_number + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount == 0:
        return _open_year(year)
    # A locking read: the row as this transaction just wrote it, not an older snapshot.
    return db.session.execute(
        select(ClaimSequence.last_number).where(ClaimSequence.year == year).with_for_update()
    ).scalar_one()


def _open_year(year: int) -> int:
    """Number 1, the year's counter row inserted; a concurrent first filing that inserted it
    first makes this an IntegrityError (or, on MariaDB, a deadlock victim), and the filing is
    run again."""
    db.session.add(ClaimSequence(year=year, last_number=1))
    db.session.flush()
    return 1


def track_claim(code: str, email: str | None) -> Claim:
    """The filer's view of a claim; a wrong or missing e-mail is as unknown as a wrong code."""
    if not email or not email.strip():
        raise ClaimNotFoundError()
    claim = db.session.scalar(
        select(Claim).where(
            Claim.code == code.strip().upper(), Claim.email == normalize_email(email)
        )
    )
    if claim is None:
        raise ClaimNotFoundError()
    return claim


# --- Deadlines -----------------------------------------------------------------------------


def is_overdue(claim: Claim, today: date | None = None) -> bool:
    """Not answered, and today (Lima) is after its due date."""
    return claim.status != STATUS_ANSWERED and (today or lima_date()) > claim.response_due_date


def business_days_left(claim: Claim, today: date | None = None) -> int:
    """Business days from today (Lima) to the due date, negative once overdue; an answered
    claim keeps the figure of the day it was answered (negative: answered late)."""
    if claim.status == STATUS_ANSWERED and claim.responded_at is not None:
        today = lima_date(claim.responded_at)
    return business_days_between(today or lima_date(), claim.response_due_date)


# --- Admin ---------------------------------------------------------------------------------


def admin_list_claims(
    *, page: int, per_page: int, status: str | None = None, overdue: bool | None = None
) -> Page:
    """Claims newest first, by status and by whether they are overdue today (Lima)."""
    query = select(Claim).options(selectinload(Claim.order))
    if status:
        query = query.where(Claim.status == status)
    if overdue is not None:
        late = (Claim.status != STATUS_ANSWERED) & (Claim.response_due_date < lima_date())
        query = query.where(late if overdue else ~late)
    return paginate(query.order_by(Claim.created_at.desc(), Claim.id.desc()), page, per_page)


def admin_get_claim(claim_id: int) -> Claim:
    claim = db.session.get(Claim, claim_id, options=[selectinload(Claim.order)])
    if claim is None:
        raise ClaimNotFoundError()
    return claim


@transactional
def admin_review_claim(admin: User, claim_id: int) -> Claim:
    """pending -> in_review: someone is on it."""
    claim = admin_get_claim(claim_id)
    if claim.status != STATUS_PENDING:
        raise ClaimStateError(f"Only a pending claim can be put in review; this one is "
                              f"{claim.status}.")  # fmt: skip
    before = audit.snapshot(claim)
    _change(claim, status=STATUS_IN_REVIEW)
    audit.record(admin, "review", claim, before=before)
    return claim


@transactional
def admin_respond_claim(admin: User, claim_id: int, response: str) -> Claim:
    """pending or in_review -> answered, the answer e-mailed to the consumer."""
    claim = admin_get_claim(claim_id)
    if claim.status == STATUS_ANSWERED:
        raise ClaimStateError("This claim has already been answered.")
    before = audit.snapshot(claim)
    _change(claim, status=STATUS_ANSWERED, response=response, responded_at=utcnow())
    audit.record(admin, "respond", claim, before=before)
    _answer_mail(claim)
    return claim


def _change(claim: Claim, **values) -> None:
    """Apply `values` only while the row still has the status read: of two admins acting at
    once (or one double-clicking) exactly one wins, the other gets 409 `invalid_state`."""
    values["updated_at"] = utcnow()
    result = execute_dml(
        update(Claim)
        .where(Claim.id == claim.id, Claim.status == claim.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ClaimStateError("The claim changed meanwhile; reload it.")
    for key, value in values.items():
        set_committed_value(claim, key, value)


# --- E-mails -------------------------------------------------------------------------------

ITEM_TYPE_NAMES = {"producto": "Producto", "servicio": "Servicio"}


def _filing_copy(claim: Claim, filed_on: date, order_number: str | None) -> None:
    """Mail the consumer the copy of the filing the law requires, once it has committed."""
    kind = claim.claim_type
    lines = [
        f"Hola, {claim.full_name}:",
        "",
        f"Registramos tu {kind} en nuestro Libro de Reclamaciones.",
        "",
        f"Código: {claim.code}",
        f"Fecha de registro: {short_date(filed_on)}",
        f"Te responderemos a más tardar el {short_date(claim.response_due_date)} "
        f"({RESPONSE_BUSINESS_DAYS} días hábiles).",
        "",
        "Lo que registraste:",
        f"Tipo: {kind.capitalize()}",
        f"Nombre: {claim.full_name}",
        f"Documento: {claim.document_type} {claim.document_number}",
        f"Domicilio: {claim.address}",
        f"Correo: {claim.email}",
    ]
    if claim.phone:
        lines.append(f"Teléfono: {claim.phone}")
    if claim.is_minor:
        lines.append(f"Menor de edad; padre, madre o apoderado: {claim.guardian_name}")
    lines.append(f"Bien contratado: {ITEM_TYPE_NAMES[claim.item_type]}: {claim.item_description}")
    if claim.amount is not None:
        lines.append(f"Monto reclamado: S/ {format_money(claim.amount)}")
    if order_number:
        lines.append(f"Pedido: {order_number}")
    lines += [
        "",
        "Detalle:",
        claim.detail,
        "",
        "Pedido del consumidor:",
        claim.consumer_request,
        "",
        "Puedes consultar su estado con el código y este correo.",
    ]
    queue_mail(
        f"claim-filed:{claim.code}",
        claim.email,
        f"Libro de Reclamaciones: {kind} {claim.code}",
        "\n".join(lines),
    )


def _answer_mail(claim: Claim) -> None:
    kind = claim.claim_type
    body = "\n".join(
        [
            f"Hola, {claim.full_name}:",
            "",
            f"Respondimos tu {kind} {claim.code} el {short_date(lima_date(claim.responded_at))}:",
            "",
            claim.response or "",
        ]
    )
    queue_mail(
        f"claim-answer:{claim.code}", claim.email, f"Respuesta a tu {kind} {claim.code}", body
    )
