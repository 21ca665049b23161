"""Payments with Izipay: form tokens, signed notifications processed once, refunds, health."""

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.invitation import Invitation
from models.order import (
    STATUS_PAID,
    STATUS_PENDING,
    STATUS_REFUNDING,
    Order,
    normalize_order_number,
)
from models.payment_transaction import (
    KIND_NOTIFICATION,
    KIND_REFUND,
    SOURCE_REFUND,
    PaymentTransaction,
)
from models.user import User
from services import audit, mailer, orders
from services.exceptions import AppError, InvalidStateError, NotFoundError
from services.invitations import bump_version
from services.izipay import (
    DETAILED_STATUS_CANCELLED,
    MODE_TEST,
    OPERATION_CREDIT,
    GatewayRefusedError,
    IzipayClient,
    IzipayCredentials,
    MalformedAnswerError,
    PaymentAnswer,
    PaymentGatewayError,
    PaymentNotReversibleError,
    PaymentsNotConfiguredError,
    compute_hash,
    credentials_from_config,
    parse_answer,
    resolution_mode_for,
    verify_browser_signature,
    verify_ipn_signature,
)
from utils.db import lock_one, transactional
from utils.emails import spa_link
from utils.metrics import PAYMENT_NOTIFICATIONS
from utils.money import format_money, to_cents
from utils.time import utcnow

logger = logging.getLogger(__name__)

PAID = "PAID"
# Longer than any refund in flight takes (two gateway calls of IZIPAY_TIMEOUT_SECONDS each).
REFUND_CLAIM_STALE_AFTER = timedelta(minutes=10)


class NoGatewayPaymentError(InvalidStateError):
    message = "No payment from the gateway is recorded for this order."


@dataclass(frozen=True)
class NotificationResult:
    """What a notification did: `outcome` is one of the OUTCOME_* values below."""

    outcome: str
    order: Order | None
    transaction: PaymentTransaction


OUTCOME_PAID = "paid"
OUTCOME_DUPLICATE = "duplicate"
OUTCOME_RECORDED = "recorded"
OUTCOME_FLAGGED = "flagged"
OUTCOME_UNKNOWN_ORDER = "unknown_order"


def require_credentials() -> IzipayCredentials:
    credentials = credentials_from_config(current_app.config)
    if credentials is None:
        raise PaymentsNotConfiguredError()
    return credentials


def gateway_client() -> IzipayClient:
    return IzipayClient(require_credentials())


@dataclass(frozen=True)
class _Payable:
    """What a form token is asked for, read before the gateway call (no row is held then)."""

    order_number: str
    amount_cents: int
    currency: str
    email: str
    user_id: int


def create_form_token(user: User, order_number: str) -> dict:
    """A formToken for the owner's pending order, for its exact amount in céntimos.

    The order is read in a transaction that ends before the gateway is called, so a slow
    gateway holds no lock and no snapshot on the database.
    """
    credentials = require_credentials()
    payable = _payable_order(user, order_number)
    form_token = IzipayClient(credentials).create_payment(
        amount_cents=payable.amount_cents,
        currency=payable.currency,
        order_id=payable.order_number,
        customer_email=payable.email,
        customer_reference=str(payable.user_id),
    )
    return {
        "form_token": form_token,
        "public_key": credentials.public_key,
        "order_number": payable.order_number,
        "amount": payable.amount_cents,
        "currency": payable.currency,
    }


@transactional
def _payable_order(user: User, order_number: str) -> _Payable:
    order = orders.get_order(user, order_number)
    if order.status != STATUS_PENDING:
        raise InvalidStateError(f"This order is {order.status}; only pending orders can be paid.")
    return _Payable(order.order_number, to_cents(order.total), order.currency, user.email, user.id)


def handle_ipn(fields: Mapping[str, str]) -> NotificationResult:
    """The gateway's server-to-server notification, signed with the REST password."""
    credentials = require_credentials()
    _require_signed_fields(fields)
    verify_ipn_signature(fields, credentials.password)
    return _process(parse_answer(fields["kr-answer"]), source="ipn", credentials=credentials)


def handle_browser_return(user: User, fields: Mapping[str, str]) -> Order:
    """The buyer's browser brings the signed answer back; same processing as the IPN."""
    credentials = require_credentials()
    _require_signed_fields(fields)
    verify_browser_signature(fields, credentials.hmac_key)
    result = _process(parse_answer(fields["kr-answer"]), source="verify", credentials=credentials)
    if result.order is None or result.order.user_id != user.id:
        raise NotFoundError("Order not found.")
    return orders.get_order(user, result.order.order_number)


def _require_signed_fields(fields: Mapping[str, str]) -> None:
    missing = [name for name in ("kr-answer", "kr-hash") if not fields.get(name)]
    if missing:
        raise MalformedAnswerError(
            "The notification lacks " + " and ".join(missing) + ".",
            details={name: ["Missing."] for name in missing},
        )


def _process(answer: PaymentAnswer, *, source: str, credentials) -> NotificationResult:
    try:
        result = _record_and_apply(answer, source=source, our_mode=credentials.mode)
    except orders.OrderStateError:
        # A concurrent delivery changed the order first (databases without row locks, such
        # as SQLite, get here); a fresh transaction now sees that delivery and answers it.
        result = _record_and_apply(answer, source=source, our_mode=credentials.mode)
    PAYMENT_NOTIFICATIONS.labels(source, result.outcome).inc()
    return result


@transactional
def _record_and_apply(
    answer: PaymentAnswer, *, source: str, our_mode: str | None
) -> NotificationResult:
    """Store the notification and apply it, in one transaction with the order row locked.

    The lock serializes concurrent deliveries of one order's notifications where the
    database has row locks (MySQL); everywhere, the unique (uuid, detailed status, kind)
    index decides which delivery stores it, and the others count as repeats.
    """
    order = lock_one(Order, Order.order_number == answer.order_id)
    previous = _find_recorded(answer)
    if previous is not None:
        return NotificationResult(OUTCOME_DUPLICATE, order, _count_repeat(previous))

    transaction = _new_record(answer, source=source, order=order)
    problem = _problem_with(answer, order, our_mode=our_mode) if order is not None else None
    if problem:
        transaction.flagged, transaction.flag_reason = True, problem
    stored = _store(transaction)
    if stored is not transaction:
        return NotificationResult(OUTCOME_DUPLICATE, order, stored)

    if order is None:
        logger.warning("Izipay %s for unknown order %r recorded", source, answer.order_id)
        return NotificationResult(OUTCOME_UNKNOWN_ORDER, None, transaction)
    if problem:
        logger.error(
            "Izipay %s for order %s flagged: %s (amount %s %s, order total %s %s)",
            source,
            order.order_number,
            problem,
            answer.amount,
            answer.currency,
            format_money(order.total),
            order.currency,
        )
        return NotificationResult(OUTCOME_FLAGGED, order, transaction)

    if _is_paid(answer) and order.status == STATUS_PENDING:
        orders.mark_order_paid(order, reason=f"izipay {source} {answer.transaction_uuid}")
        transaction.processed = True
        # A mail failure must not undo a recorded payment; a rollback must not send one.
        _payment_confirmation(order)
        return NotificationResult(OUTCOME_PAID, order, transaction)

    # Refused, abandoned or still running: the buyer may retry; a paid order never goes back.
    return NotificationResult(OUTCOME_RECORDED, order, transaction)


def _notification_key(answer_or_record) -> tuple:
    return (
        PaymentTransaction.transaction_uuid == answer_or_record.transaction_uuid,
        PaymentTransaction.detailed_status == answer_or_record.detailed_status,
        PaymentTransaction.kind == KIND_NOTIFICATION,
    )


def _find_recorded(answer: PaymentAnswer) -> PaymentTransaction | None:
    if not answer.transaction_uuid:
        return None
    return db.session.scalar(select(PaymentTransaction).where(*_notification_key(answer)))


def _count_repeat(record: PaymentTransaction) -> PaymentTransaction:
    """One more delivery of a stored notification, counted by the database itself
    (`times_received = times_received + 1`), so simultaneous repeats all count."""
    db.session.execute(
        update(PaymentTransaction)
        .where(PaymentTransaction.id == record.id)
        .values(times_received=PaymentTransaction.times_received + 1, last_received_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(record, ["times_received", "last_received_at"])
    return record


def _new_record(answer: PaymentAnswer, *, source: str, order: Order | None) -> PaymentTransaction:
    return PaymentTransaction(
        transaction_uuid=answer.transaction_uuid,
        order_id=order.id if order else None,
        order_number=(answer.order_id or "")[:32] or None,
        kind=KIND_NOTIFICATION,
        source=source,
        order_status=answer.order_status,
        status=answer.transaction_status,
        detailed_status=answer.detailed_status,
        amount=answer.amount,
        currency=answer.currency,
        mode=answer.mode,
        raw_answer=answer.raw,
    )


def _store(transaction: PaymentTransaction) -> PaymentTransaction:
    """Insert the notification; when a concurrent delivery stored the same one first, count
    this one as a repeat and return that row instead."""
    try:
        with db.session.begin_nested():
            db.session.add(transaction)
    except IntegrityError:
        # A locking read: on MySQL a plain one would show this transaction's older snapshot,
        # without the row the other delivery committed.
        existing = lock_one(PaymentTransaction, *_notification_key(transaction))
        return _count_repeat(existing)
    return transaction


def _already_paid_by(order: Order, transaction_uuid: str | None) -> bool:
    """A later status of the payment that paid this order (AUTHORISED, then CAPTURED)."""
    if order.status not in (STATUS_PAID, STATUS_REFUNDING) or not transaction_uuid:
        return False
    return (
        db.session.scalar(
            select(PaymentTransaction.id).where(
                PaymentTransaction.order_id == order.id,
                PaymentTransaction.transaction_uuid == transaction_uuid,
                PaymentTransaction.processed.is_(True),
            )
        )
        is not None
    )


def _is_paid(answer: PaymentAnswer) -> bool:
    return answer.order_status == PAID and answer.transaction_status in (PAID, None)


def _problem_with(answer: PaymentAnswer, order: Order, *, our_mode: str | None) -> str | None:
    if answer.mode == MODE_TEST and our_mode != MODE_TEST:
        return "test_payment_in_production"
    if not _is_paid(answer) or _already_paid_by(order, answer.transaction_uuid):
        return None
    if answer.currency != order.currency:
        return "currency_mismatch"
    if answer.amount != to_cents(order.total):
        return "amount_mismatch"
    if order.status != STATUS_PENDING:
        # Money arrived for an order that is already paid, expired, cancelled or refunded:
        # someone has to look (and probably refund it by hand).
        return f"paid_while_{order.status}"
    return None


def _payment_confirmation(order: Order) -> None:
    """Mail the buyer their confirmation once the payment has committed."""
    user = db.session.get_one(User, order.user_id)
    mailer.queue_mail(
        f"order-paid:{order.id}",
        user.email,
        f"Pago confirmado - {order.order_number}",
        f"Hola {user.first_name},\n\nRecibimos tu pago de S/ {format_money(order.total)} "
        f"por el pedido {order.order_number}. Ya puedes editar tus invitaciones en "
        f"{spa_link('FRONTEND_MY_INVITATIONS_PATH')}.\n\n¡Gracias!",
    )


# --- refunds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RefundClaim:
    """An order an admin has claimed for a refund (status `refunding`, committed)."""

    order_id: int
    order_number: str
    amount_cents: int
    currency: str
    payment_uuid: str | None
    payment_mode: str | None


def refund_order(admin: User, order_number: str, *, comment: str | None = None) -> Order:
    """Refund (captured) or cancel (not yet captured) the payment; the order becomes refunded.

    Three steps, so that exactly one refund reaches the gateway on every database without a
    lock held across the call (docs/spa-integration.md, "Refunds"):
    1. claim: paid -> refunding, a compare-and-set committed before the gateway is called;
       a concurrent refund finds the order refunding and gets 409;
    2. the gateway calls, outside any transaction;
    3. refunding -> refunded with the refund recorded, or back to paid (with the reason in
       the order's history) when the gateway certainly did nothing. When the outcome is
       unknown (timeout, lost connection) the order stays refunding for
       `reconcile_stale_refunds` to settle from what the gateway says.
    """
    claim = _claim_refund(admin, order_number, comment)
    if claim.amount_cents == 0:
        return _finish_refund(claim, admin, reason=comment or "refunded by an admin")
    try:
        client = gateway_client()
        current = client.get_transaction(claim.payment_uuid)
        resolution_mode = resolution_mode_for(current.get("detailedStatus"))
    except (PaymentsNotConfiguredError, PaymentGatewayError, PaymentNotReversibleError) as error:
        # Nothing was sent that could move money: the order goes back to paid.
        _release_refund(claim, admin, reason=_refusal(error))
        raise
    try:
        answer = client.cancel_or_refund(
            uuid=claim.payment_uuid,
            amount_cents=claim.amount_cents,
            currency=claim.currency,
            resolution_mode=resolution_mode,
            comment=comment or f"Refund of {claim.order_number}",
        )
    except GatewayRefusedError as error:
        _release_refund(claim, admin, reason=_refusal(error))
        raise
    except PaymentGatewayError as error:
        logger.error(
            "Izipay %s for %s: outcome unknown (%s); the order stays refunding until "
            "`flask orders reconcile-refunds` settles it",
            resolution_mode,
            claim.order_number,
            (error.details or {}).get("reason"),
        )
        raise PaymentGatewayError(
            "The payment gateway did not confirm the refund; the order stays refunding "
            "until it is reconciled with the gateway.",
            details={**(error.details or {}), "order_status": STATUS_REFUNDING},
        ) from error
    logger.info(
        "Izipay %s for %s: %s", resolution_mode, claim.order_number, answer.get("detailedStatus")
    )
    return _finish_refund(
        claim, admin, reason=comment or "refunded by an admin", gateway_answer=answer
    )


@transactional
def _claim_refund(admin: User, order_number: str, comment: str | None) -> _RefundClaim:
    order = lock_one(Order, Order.order_number == normalize_order_number(order_number))
    if order is None:
        raise NotFoundError("Order not found.")
    if order.status != STATUS_PAID:
        raise InvalidStateError(f"This order is {order.status}; only paid orders can be refunded.")
    payment = None
    if order.total > 0:
        payment = _paying_notification(order)
        if payment is None or not payment.transaction_uuid:
            raise NoGatewayPaymentError()
    before = audit.snapshot(order)
    orders.transition_order(
        order, STATUS_REFUNDING, reason=comment or "refund requested", actor_id=admin.id
    )
    audit.record(admin, "refund_request", order, before=before,
                 extra={"comment": [None, comment]} if comment else None)  # fmt: skip
    return _claim_of(order, payment)


def _claim_of(order: Order, payment: PaymentTransaction | None) -> _RefundClaim:
    return _RefundClaim(
        order_id=order.id,
        order_number=order.order_number,
        amount_cents=to_cents(order.total),
        currency=order.currency,
        payment_uuid=payment.transaction_uuid if payment else None,
        payment_mode=payment.mode if payment else None,
    )


def _paying_notification(order: Order) -> PaymentTransaction | None:
    return db.session.scalar(
        select(PaymentTransaction)
        .where(
            PaymentTransaction.order_id == order.id,
            PaymentTransaction.kind == KIND_NOTIFICATION,
            PaymentTransaction.processed.is_(True),
        )
        .order_by(PaymentTransaction.id.desc())
    )


@transactional
def _finish_refund(
    claim: _RefundClaim,
    actor: User | None,
    *,
    reason: str,
    gateway_answer: dict | None = None,
) -> Order:
    """refunding -> refunded: the gateway's answer recorded, the invitations unpublished."""
    order = lock_one(Order, Order.id == claim.order_id)
    before = audit.snapshot(order)
    if gateway_answer is not None:
        db.session.add(_refund_record(claim, gateway_answer))
    orders.mark_order_refunded(order, reason=reason, actor_id=actor.id if actor else None)
    for invitation in db.session.scalars(select(Invitation).where(Invitation.order_id == order.id)):
        invitation.is_published = False
        # Off the public site on every worker at once, cached pages included.
        bump_version(invitation)
    audit.record(actor, "refund", order, before=before)
    return order


@transactional
def _release_refund(claim: _RefundClaim, actor: User | None, *, reason: str) -> None:
    """refunding -> paid, when the gateway certainly refunded nothing; the reason is kept."""
    order = lock_one(Order, Order.id == claim.order_id)
    before = audit.snapshot(order)
    orders.transition_order(
        order, STATUS_PAID, reason=reason[:255], actor_id=actor.id if actor else None
    )
    audit.record(actor, "refund_release", order, before=before,
                 extra={"reason": [None, reason[:255]]})  # fmt: skip


def _refusal(error: AppError) -> str:
    details = error.details or {}
    return f"refund not made: {details.get('errorCode') or details.get('reason') or error.code}"


def _refund_record(claim: _RefundClaim, answer: dict) -> PaymentTransaction:
    return PaymentTransaction(
        transaction_uuid=_text_or_none(answer.get("uuid")),
        order_id=claim.order_id,
        order_number=claim.order_number,
        kind=KIND_REFUND,
        source=SOURCE_REFUND,
        status=_text_or_none(answer.get("status")),
        detailed_status=_text_or_none(answer.get("detailedStatus")),
        amount=answer.get("amount") if isinstance(answer.get("amount"), int) else None,
        currency=_text_or_none(answer.get("currency")),
        mode=_text_or_none(answer.get("mode")) or claim.payment_mode,
        raw_answer=json.dumps(answer),
        processed=True,
    )


def _text_or_none(value) -> str | None:
    return value if isinstance(value, str) else None


def reconcile_stale_refunds(*, older_than: timedelta = REFUND_CLAIM_STALE_AFTER) -> dict[str, int]:
    """Settle orders left `refunding` (a crash, or a gateway that never answered) from what
    the gateway reports; it never sends a refund itself.

    A refund found at the gateway (a CREDIT of the order, or the payment cancelled) makes the
    order refunded and records it; none found gives the order back to paid, so an admin may
    refund again. Orders claimed less than `older_than` ago may still be in flight and are
    left alone, as are those the gateway cannot be asked about now (tried on the next run).
    """
    claims = _stale_refund_claims(utcnow() - older_than)
    counts = {"refunded": 0, "released": 0, "unresolved": 0}
    if not claims:
        return counts
    client = gateway_client()
    for claim in claims:
        try:
            if claim.amount_cents == 0:
                _finish_refund(claim, None, reason="reconciled: nothing to refund")
                counts["refunded"] += 1
            elif (reversal := _reversal_at_gateway(client, claim)) is not None:
                _finish_refund(
                    claim,
                    None,
                    reason="reconciled: refund found at the gateway",
                    gateway_answer=reversal,
                )
                counts["refunded"] += 1
            else:
                _release_refund(claim, None, reason="reconciled: the gateway shows no refund")
                counts["released"] += 1
        except PaymentGatewayError as error:
            logger.warning("Refund of %s not reconciled yet: %s", claim.order_number, error)
            counts["unresolved"] += 1  # asked again on the next run
        except orders.OrderStateError:
            continue  # settled meanwhile by a concurrent run
    return counts


@transactional
def _stale_refund_claims(cutoff) -> list[_RefundClaim]:
    # The claim's UPDATE set updated_at; nothing else writes a refunding order.
    stale = db.session.scalars(
        select(Order)
        .where(Order.status == STATUS_REFUNDING, Order.updated_at <= cutoff)
        .order_by(Order.id)
    ).all()
    return [_claim_of(order, _paying_notification(order)) for order in stale]


def _reversal_at_gateway(client: IzipayClient, claim: _RefundClaim) -> dict | None:
    """The gateway's record of this order's refund or cancellation, or None when there is none."""
    if not claim.payment_uuid:
        return None
    for credit in client.get_order_transactions(claim.order_number, OPERATION_CREDIT):
        details = credit.get("transactionDetails") or {}
        parent = details.get("parentTransactionUuid") if isinstance(details, dict) else None
        if parent in (None, claim.payment_uuid) and credit.get("status") != "UNPAID":
            return credit
    payment = client.get_transaction(claim.payment_uuid)
    if payment.get("detailedStatus") == DETAILED_STATUS_CANCELLED:
        return payment
    return None


def payments_health(deep: bool = False) -> dict:
    credentials = credentials_from_config(current_app.config)
    report = {
        "status": "ok" if credentials else "unavailable",
        "configured": credentials is not None,
        "mode": credentials.mode if credentials else None,
    }
    if credentials and deep:
        try:
            IzipayClient(credentials).sdk_test("health")
            report["gateway"] = "ok"
        except Exception as error:  # noqa: BLE001 - the report says what failed
            logger.warning("Izipay deep health check failed: %s", error)
            report.update(status="unavailable", gateway="error")
    return report


SIMULATED_DETAILED_STATUS = {"PAID": "CAPTURED", "UNPAID": "REFUSED"}


def simulated_notification(order_number: str, status: str = "PAID") -> dict[str, str]:
    """IPN form fields for `order_number`, signed with the configured TEST password.

    A developer tool (`flask izipay simulate-ipn`): it lets the SPA team finish a payment
    without the real gateway. It refuses to sign with a production password.
    """
    credentials = require_credentials()
    if credentials.mode != MODE_TEST:
        raise InvalidStateError("Simulated notifications are only signed with a TEST password.")
    number = normalize_order_number(order_number)
    order = db.session.scalar(select(Order).where(Order.order_number == number))
    if order is None:
        raise NotFoundError(f"Order {number} not found in this app's database.")
    if order.status != STATUS_PENDING:
        raise InvalidStateError(f"Order {number} is already {order.status}: nothing sent.")
    user = db.session.get(User, order.user_id)
    amount = to_cents(order.total)
    answer = {
        "shopId": credentials.username,
        "orderCycle": "CLOSED",
        "orderStatus": status,
        "serverDate": utcnow().isoformat(timespec="seconds"),
        "orderDetails": {
            "orderTotalAmount": amount,
            "orderCurrency": order.currency,
            "mode": MODE_TEST,
            "orderId": order.order_number,
            "_type": "V4/OrderDetails",
        },
        "customer": {"email": user.email if user else None, "_type": "V4/Customer/Customer"},
        "transactions": [
            {
                # The same order and status give the same transaction: a repeat is a repeat.
                "uuid": hashlib.sha256(f"{number}:{status}".encode()).hexdigest()[:32],
                "amount": amount,
                "currency": order.currency,
                "paymentMethodType": "CARD",
                "status": status,
                "detailedStatus": SIMULATED_DETAILED_STATUS[status],
                "operationType": "DEBIT",
                "_type": "V4/PaymentTransaction",
            }
        ],
        "_type": "V4/Payment",
    }
    kr_answer = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
    return {
        "kr-hash": compute_hash(credentials.password, kr_answer),
        "kr-hash-algorithm": "sha256_hmac",
        "kr-hash-key": "password",
        "kr-answer-type": "V4/Payment",
        "kr-answer": kr_answer,
    }
