"""Payments with Izipay: form tokens, signed notifications processed once, refunds, health."""

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.invitation import Invitation
from models.order import STATUS_PAID, STATUS_PENDING, Order
from models.payment_transaction import (
    KIND_NOTIFICATION,
    KIND_REFUND,
    SOURCE_REFUND,
    PaymentTransaction,
)
from models.user import User
from services import mailer, orders
from services.exceptions import InvalidStateError, NotFoundError
from services.izipay import (
    MODE_TEST,
    IzipayClient,
    IzipayCredentials,
    MalformedAnswerError,
    PaymentAnswer,
    PaymentsNotConfiguredError,
    compute_hash,
    credentials_from_config,
    parse_answer,
    resolution_mode_for,
    verify_browser_signature,
    verify_ipn_signature,
)
from utils.db import lock_one, transactional
from utils.metrics import PAYMENT_NOTIFICATIONS
from utils.money import format_money, to_cents
from utils.time import utcnow

logger = logging.getLogger(__name__)

PAID = "PAID"


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


def create_form_token(user: User, order_number: str) -> dict:
    """A formToken for the owner's pending order, for its exact amount in céntimos."""
    credentials = require_credentials()
    order = orders.get_order(user, order_number)
    if order.status != STATUS_PENDING:
        raise InvalidStateError(f"This order is {order.status}; only pending orders can be paid.")
    amount = to_cents(order.total)
    form_token = IzipayClient(credentials).create_payment(
        amount_cents=amount,
        currency=order.currency,
        order_id=order.order_number,
        customer_email=user.email,
        customer_reference=str(user.id),
    )
    return {
        "form_token": form_token,
        "public_key": credentials.public_key,
        "order_number": order.order_number,
        "amount": amount,
        "currency": order.currency,
    }


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
    if result.outcome == OUTCOME_PAID:
        _send_payment_confirmation(result.order)
    return result


@transactional
def _record_and_apply(
    answer: PaymentAnswer, *, source: str, our_mode: str | None
) -> NotificationResult:
    """Store the notification and apply it, in one transaction with the order row locked.

    The lock serializes concurrent deliveries of one order's notifications, so the
    duplicate check below is reliable; the unique constraint backs it up.
    """
    order = lock_one(Order, Order.order_number == answer.order_id)
    previous = _find_recorded(answer)
    if previous is not None:
        previous.times_received += 1
        previous.last_received_at = utcnow()
        return NotificationResult(OUTCOME_DUPLICATE, order, previous)

    transaction = _new_record(answer, source=source, order=order)
    if order is None:
        logger.warning("Izipay %s for unknown order %r recorded", source, answer.order_id)
        return NotificationResult(OUTCOME_UNKNOWN_ORDER, None, _store(transaction))

    problem = _problem_with(answer, order, our_mode=our_mode)
    if problem:
        transaction.flagged, transaction.flag_reason = True, problem
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
        return NotificationResult(OUTCOME_FLAGGED, order, _store(transaction))

    if _is_paid(answer) and order.status == STATUS_PENDING:
        orders.mark_order_paid(order, reason=f"izipay {source} {answer.transaction_uuid}")
        transaction.processed = True
        return NotificationResult(OUTCOME_PAID, order, _store(transaction))

    # Refused, abandoned or still running: the buyer may retry; a paid order never goes back.
    return NotificationResult(OUTCOME_RECORDED, order, _store(transaction))


def _find_recorded(answer: PaymentAnswer) -> PaymentTransaction | None:
    if not answer.transaction_uuid:
        return None
    return db.session.scalar(
        select(PaymentTransaction).where(
            PaymentTransaction.transaction_uuid == answer.transaction_uuid,
            PaymentTransaction.detailed_status == answer.detailed_status,
            PaymentTransaction.kind == KIND_NOTIFICATION,
        )
    )


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
    try:
        with db.session.begin_nested():
            db.session.add(transaction)
    except IntegrityError:
        # Same transaction and status stored by a concurrent delivery that had no order to lock.
        existing = db.session.scalar(
            select(PaymentTransaction).where(
                PaymentTransaction.transaction_uuid == transaction.transaction_uuid,
                PaymentTransaction.detailed_status == transaction.detailed_status,
                PaymentTransaction.kind == transaction.kind,
            )
        )
        existing.times_received += 1
        return existing
    return transaction


def _already_paid_by(order: Order, transaction_uuid: str | None) -> bool:
    """A later status of the payment that paid this order (AUTHORISED, then CAPTURED)."""
    if order.status != STATUS_PAID or not transaction_uuid:
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


def _send_payment_confirmation(order: Order) -> None:
    """Mail after the commit: a mail failure must not undo a recorded payment."""
    try:
        user = db.session.get(User, order.user_id)
        mailer.send_mail(
            user.email,
            f"Pago confirmado - {order.order_number}",
            f"Hola {user.first_name},\n\nRecibimos tu pago de S/ {format_money(order.total)} "
            f"por el pedido {order.order_number}. Ya puedes editar tus invitaciones en "
            f"{current_app.config['FRONTEND_URL']}/mis-invitaciones.\n\n¡Gracias!",
        )
    except Exception:
        logger.exception("Payment confirmation e-mail for %s failed", order.order_number)


@transactional
def refund_order(admin: User, order_number: str, *, comment: str | None = None) -> Order:
    """Refund (captured) or cancel (not yet captured) the payment, then mark the order refunded.

    The order row stays locked during the gateway call so two admins cannot refund twice.
    A gateway refusal raises before anything is written.
    """
    order = lock_one(Order, Order.order_number == order_number.strip().upper())
    if order is None:
        raise NotFoundError("Order not found.")
    if order.status != STATUS_PAID:
        raise InvalidStateError(f"This order is {order.status}; only paid orders can be refunded.")
    if order.total > 0:
        _refund_through_gateway(order, comment or f"Refund of {order.order_number}")
    orders.mark_order_refunded(order, reason=comment or "refunded by an admin", actor_id=admin.id)
    for invitation in db.session.scalars(select(Invitation).where(Invitation.order_id == order.id)):
        invitation.is_published = False
    return order


def _refund_through_gateway(order: Order, comment: str) -> None:
    payment = db.session.scalar(
        select(PaymentTransaction)
        .where(
            PaymentTransaction.order_id == order.id,
            PaymentTransaction.kind == KIND_NOTIFICATION,
            PaymentTransaction.processed.is_(True),
        )
        .order_by(PaymentTransaction.id.desc())
    )
    if payment is None or not payment.transaction_uuid:
        raise NoGatewayPaymentError()
    client = gateway_client()
    current = client.get_transaction(payment.transaction_uuid)
    mode = resolution_mode_for(current.get("detailedStatus"))
    answer = client.cancel_or_refund(
        uuid=payment.transaction_uuid,
        amount_cents=to_cents(order.total),
        currency=order.currency,
        resolution_mode=mode,
        comment=comment,
    )
    logger.info("Izipay %s for %s: %s", mode, order.order_number, answer.get("detailedStatus"))
    db.session.add(
        PaymentTransaction(
            transaction_uuid=answer.get("uuid"),
            order_id=order.id,
            order_number=order.order_number,
            kind=KIND_REFUND,
            source=SOURCE_REFUND,
            status=answer.get("status"),
            detailed_status=answer.get("detailedStatus"),
            amount=answer.get("amount"),
            currency=answer.get("currency"),
            mode=answer.get("mode") or payment.mode,
            raw_answer=json.dumps(answer),
            processed=True,
        )
    )


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
    order = db.session.scalar(
        select(Order).where(Order.order_number == order_number.strip().upper())
    )
    if order is None:
        raise NotFoundError("Order not found.")
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
                "uuid": secrets.token_hex(16),
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
