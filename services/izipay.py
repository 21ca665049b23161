"""Izipay (Lyra Krypton V4) REST client, IPN and browser-return signatures, payment answers."""

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from services.exceptions import (
    BadGatewayError,
    BadRequestError,
    InvalidStateError,
    ServiceUnavailableError,
    UnauthorizedError,
)
from utils import safe_json

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api.micuentaweb.pe"
DEFAULT_TIMEOUT_SECONDS = 10.0

MODE_TEST = "TEST"
MODE_PRODUCTION = "PRODUCTION"

HASH_ALGORITHM = "sha256_hmac"
IPN_HASH_KEY = "password"
BROWSER_HASH_KEY = "sha256_hmac"

OPERATION_CREDIT = "CREDIT"  # a refund, as Order/Get lists it
DETAILED_STATUS_CANCELLED = "CANCELLED"

REFUND_ONLY = "REFUND_ONLY"
CANCELLATION_ONLY = "CANCELLATION_ONLY"
RESOLUTION_MODES = (REFUND_ONLY, CANCELLATION_ONLY)

CAPTURED_STATUSES = frozenset({"CAPTURED"})
# Authorised but not yet sent to the bank: the gateway can still drop them without a refund.
CANCELLABLE_STATUSES = frozenset(
    {
        "AUTHORISED",
        "AUTHORISED_TO_VALIDATE",
        "PARTIALLY_AUTHORISED",
        "PRE_AUTHORISED",
        "WAITING_AUTHORISATION",
        "WAITING_AUTHORISATION_TO_VALIDATE",
    }
)

_GATEWAY_ERROR_FIELDS = ("errorCode", "errorMessage", "detailedErrorCode")

# What the payment_transactions columns hold: amounts are INTEGER (32-bit on MySQL); the
# gateway takes order ids of at most 64 characters.
MAX_AMOUNT_CENTS = 2**31 - 1
MAX_ORDER_ID_LENGTH = 64


class PaymentGatewayError(BadGatewayError):
    code = "payment_gateway_error"
    message = "The payment gateway refused the request."


class GatewayRefusedError(PaymentGatewayError):
    """The gateway answered with an ERROR envelope: the operation certainly did not happen
    (unlike a timeout or a lost connection, after which it may have)."""


class PaymentsNotConfiguredError(ServiceUnavailableError):
    code = "payments_not_configured"
    message = (
        "Payments are not configured: set IZIPAY_USERNAME, IZIPAY_PASSWORD and "
        "IZIPAY_PUBLIC_KEY (and IZIPAY_HMAC_KEY to verify browser returns)."
    )


class InvalidSignatureError(UnauthorizedError):
    code = "invalid_signature"
    message = "The payment signature is not valid."


class MalformedAnswerError(BadRequestError):
    message = "kr-answer is not a valid payment answer."


class PaymentNotReversibleError(InvalidStateError):
    message = "This payment can be neither refunded nor cancelled in its current state."


@dataclass(frozen=True)
class IzipayCredentials:
    username: str
    password: str = field(repr=False)
    public_key: str
    hmac_key: str | None = field(default=None, repr=False)
    endpoint: str = DEFAULT_ENDPOINT
    ipn_url: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def mode(self) -> str | None:
        return mode_of(self.password)


def credentials_from_config(config: Mapping[str, Any]) -> IzipayCredentials | None:
    """The IZIPAY_* settings, or None when the keys needed to take a payment are missing."""
    username = _setting(config, "IZIPAY_USERNAME")
    password = _setting(config, "IZIPAY_PASSWORD")
    public_key = _setting(config, "IZIPAY_PUBLIC_KEY")
    if not (username and password and public_key):
        return None
    endpoint = _setting(config, "IZIPAY_ENDPOINT") or DEFAULT_ENDPOINT
    timeout = _setting(config, "IZIPAY_TIMEOUT_SECONDS")
    return IzipayCredentials(
        username=username,
        password=password,
        public_key=public_key,
        hmac_key=_setting(config, "IZIPAY_HMAC_KEY"),
        endpoint=endpoint.rstrip("/"),
        ipn_url=_setting(config, "IZIPAY_IPN_URL"),
        timeout_seconds=float(timeout) if timeout else DEFAULT_TIMEOUT_SECONDS,
    )


def _setting(config: Mapping[str, Any], name: str) -> str | None:
    value = config.get(name)
    if value is None:
        return None
    return str(value).strip() or None


def mode_of(password: str | None) -> str | None:
    """TEST or PRODUCTION, as the REST password's prefix says; None for anything else."""
    if not password:
        return None
    if password.startswith("testpassword_"):
        return MODE_TEST
    if password.startswith("prodpassword_"):
        return MODE_PRODUCTION
    return None


class IzipayClient:
    """Calls to `{endpoint}/api-payment/V4/...`; every failure becomes a PaymentGatewayError."""

    def __init__(self, credentials: IzipayCredentials, session: requests.Session | None = None):
        self.credentials = credentials
        self.session = session

    def create_payment(
        self,
        *,
        amount_cents: int,
        currency: str,
        order_id: str,
        customer_email: str | None,
        customer_reference: str | None = None,
    ) -> str:
        """Registers the payment and returns the formToken the browser form needs."""
        payload: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency,
            "orderId": order_id,
        }
        customer = {
            key: value
            for key, value in (("email", customer_email), ("reference", customer_reference))
            if value
        }
        if customer:
            payload["customer"] = customer
        if self.credentials.ipn_url:
            payload["ipnTargetUrl"] = self.credentials.ipn_url
        answer = self._call("Charge/CreatePayment", payload)
        form_token = answer.get("formToken")
        if not isinstance(form_token, str) or not form_token:
            raise self._bad_response("Charge/CreatePayment", "no formToken in the answer")
        return form_token

    def cancel_or_refund(
        self,
        *,
        uuid: str,
        amount_cents: int,
        currency: str,
        resolution_mode: str,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Refunds a captured transaction or cancels an authorised one; returns the answer."""
        if resolution_mode not in RESOLUTION_MODES:
            raise ValueError(f"resolution_mode must be one of {RESOLUTION_MODES}")
        payload: dict[str, Any] = {
            "uuid": uuid,
            "amount": amount_cents,
            "currency": currency,
            "resolutionMode": resolution_mode,
        }
        if comment:
            payload["comment"] = comment
        return self._call("Transaction/CancelOrRefund", payload)

    def get_transaction(self, uuid: str) -> dict[str, Any]:
        return self._call("Transaction/Get", {"uuid": uuid})

    def get_order_transactions(
        self, order_id: str, operation_type: str | None = None
    ) -> list[dict[str, Any]]:
        """The order's transactions (`Order/Get`), e.g. its refunds with operation_type CREDIT."""
        payload: dict[str, Any] = {"orderId": order_id}
        if operation_type:
            payload["operationType"] = operation_type
        transactions = self._call("Order/Get", payload).get("transactions")
        if not isinstance(transactions, list):
            raise self._bad_response("Order/Get", "no transactions in the answer")
        return [transaction for transaction in transactions if isinstance(transaction, dict)]

    def sdk_test(self, value: str) -> str:
        """Round trip through the gateway's echo service, proving the keys and the network."""
        echoed = self._call("Charge/SDKTest", {"value": value}).get("value")
        if not isinstance(echoed, str):
            raise self._bad_response("Charge/SDKTest", "no value in the answer")
        return echoed

    def _call(self, service: str, payload: dict[str, Any]) -> dict[str, Any]:
        credentials = self.credentials
        post = self.session.post if self.session is not None else requests.post
        try:
            response = post(
                f"{credentials.endpoint}/api-payment/V4/{service}",
                json=payload,
                auth=(credentials.username, credentials.password),
                headers={"Accept": "application/json"},
                timeout=credentials.timeout_seconds,
            )
        except requests.Timeout as error:
            logger.warning("Izipay %s timed out after %ss", service, credentials.timeout_seconds)
            raise PaymentGatewayError(
                "The payment gateway did not answer in time.", details={"reason": "timeout"}
            ) from error
        except requests.RequestException as error:
            logger.warning("Izipay %s unreachable: %s", service, type(error).__name__)
            raise PaymentGatewayError(
                "The payment gateway could not be reached.", details={"reason": "unreachable"}
            ) from error

        try:
            envelope = response.json()
        except ValueError as error:
            raise self._bad_response(service, f"HTTP {response.status_code}, not JSON") from error
        if not isinstance(envelope, dict) or not isinstance(envelope.get("answer"), dict):
            raise self._bad_response(service, f"HTTP {response.status_code}, no answer object")

        # Lyra answers errors with HTTP 200 or 401 alike: only the envelope's status is reliable.
        answer = envelope["answer"]
        status = envelope.get("status")
        if status == "SUCCESS":
            return answer
        if status == "ERROR":
            details = {name: answer[name] for name in _GATEWAY_ERROR_FIELDS if answer.get(name)}
            logger.warning(
                "Izipay %s answered ERROR %s (%s), HTTP %s",
                service,
                answer.get("errorCode"),
                answer.get("detailedErrorCode"),
                response.status_code,
            )
            raise GatewayRefusedError(details=details or {"reason": "bad_response"})
        raise self._bad_response(service, f"HTTP {response.status_code}, status {status!r}")

    @staticmethod
    def _bad_response(service: str, why: str) -> PaymentGatewayError:
        logger.warning("Izipay %s sent an unusable response: %s", service, why)
        return PaymentGatewayError(
            "The payment gateway sent an unexpected response.", details={"reason": "bad_response"}
        )


def compute_hash(key: str, kr_answer: str) -> str:
    """Lowercase hex HMAC-SHA-256 of the raw kr-answer text, both taken as UTF-8."""
    return hmac.new(key.encode("utf-8"), kr_answer.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_ipn_signature(fields: Mapping[str, Any], password: str) -> None:
    """Accepts only an IPN signed with the REST password (`kr-hash-key` = `password`)."""
    if not password:
        raise PaymentsNotConfiguredError()
    if fields.get("kr-hash-algorithm") != HASH_ALGORITHM:
        raise InvalidSignatureError("Unsupported signature algorithm.")
    if fields.get("kr-hash-key") != IPN_HASH_KEY:
        raise InvalidSignatureError("A notification must be signed with the password key.")
    _check_hash(fields, password)


def verify_browser_signature(fields: Mapping[str, Any], hmac_key: str | None) -> None:
    """Accepts a browser return signed with the HMAC key; key and algorithm fields optional."""
    if not hmac_key:
        raise PaymentsNotConfiguredError(
            "IZIPAY_HMAC_KEY is not set, so browser returns cannot be verified."
        )
    if fields.get("kr-hash-algorithm", HASH_ALGORITHM) != HASH_ALGORITHM:
        raise InvalidSignatureError("Unsupported signature algorithm.")
    if fields.get("kr-hash-key", BROWSER_HASH_KEY) != BROWSER_HASH_KEY:
        raise InvalidSignatureError("A browser return must be signed with the HMAC-SHA-256 key.")
    _check_hash(fields, hmac_key)


def _check_hash(fields: Mapping[str, Any], key: str) -> None:
    kr_answer = fields.get("kr-answer")
    kr_hash = fields.get("kr-hash")
    if not isinstance(kr_answer, str) or not isinstance(kr_hash, str) or not kr_hash:
        raise InvalidSignatureError("The signed answer or its signature is missing.")
    received = kr_hash.strip().lower().encode("utf-8")
    # Lyra's SDKs undo `\/` first: some servers escape slashes after the gateway signed the text.
    for candidate in dict.fromkeys((kr_answer, kr_answer.replace("\\/", "/"))):
        if hmac.compare_digest(compute_hash(key, candidate).encode("ascii"), received):
            return
    raise InvalidSignatureError()


@dataclass(frozen=True)
class PaymentAnswer:
    """The parts of a `V4/Payment` kr-answer the backend acts on; `raw` is the signed text."""

    order_id: str | None
    order_status: str | None
    order_cycle: str | None
    amount: int
    currency: str | None
    mode: str | None
    shop_id: str | None
    transaction_uuid: str | None
    transaction_status: str | None
    detailed_status: str | None
    transaction_amount: int | None
    transaction_currency: str | None
    operation_type: str | None
    raw: str = field(repr=False)


def parse_answer(kr_answer: str) -> PaymentAnswer:
    """Reads a kr-answer; call it only after the signature was verified on the same text.

    A signature proves who sent the text, not that it is sane: nesting deeper than any
    payment answer, integers beyond 64 bits, amounts no column holds and over-long codes
    are a 400 like any malformed answer, never a 500.
    """
    try:
        answer = safe_json.loads(kr_answer)
    except safe_json.UnsafeJsonError as error:
        raise MalformedAnswerError(f"kr-answer is not acceptable JSON: {error}") from error
    except (TypeError, ValueError) as error:
        raise MalformedAnswerError() from error
    if not isinstance(answer, dict) or not isinstance(answer.get("orderDetails"), dict):
        raise MalformedAnswerError("kr-answer has no orderDetails.")
    order = answer["orderDetails"]
    amount = _amount(order.get("orderTotalAmount"), "orderDetails.orderTotalAmount")
    if amount is None:
        raise MalformedAnswerError("kr-answer has no integer orderTotalAmount.")
    transactions = answer.get("transactions")
    first = transactions[0] if isinstance(transactions, list) and transactions else None
    transaction = first if isinstance(first, dict) else {}
    return PaymentAnswer(
        order_id=_text(order.get("orderId"), "orderDetails.orderId", MAX_ORDER_ID_LENGTH),
        order_status=_text(answer.get("orderStatus"), "orderStatus", 32),
        order_cycle=_text(answer.get("orderCycle"), "orderCycle", 32),
        amount=amount,
        currency=_text(order.get("orderCurrency"), "orderDetails.orderCurrency", 3),
        mode=_text(order.get("mode"), "orderDetails.mode", 16),
        shop_id=_text(answer.get("shopId"), "shopId", 64),
        transaction_uuid=_text(transaction.get("uuid"), "transactions.0.uuid", 64),
        transaction_status=_text(transaction.get("status"), "transactions.0.status", 32),
        detailed_status=_text(
            transaction.get("detailedStatus"), "transactions.0.detailedStatus", 64
        ),
        transaction_amount=_amount(transaction.get("amount"), "transactions.0.amount"),
        transaction_currency=_text(transaction.get("currency"), "transactions.0.currency", 3),
        operation_type=_text(transaction.get("operationType"), "transactions.0.operationType", 32),
        raw=kr_answer,
    )


def _text(value: Any, name: str, max_length: int) -> str | None:
    """The string at `name`; None when absent or not a string; 400 when longer than its column."""
    if not isinstance(value, str):
        return None
    if len(value) > max_length:
        raise MalformedAnswerError(
            f"kr-answer {name} is too long.",
            details={name: [f"Longer than {max_length} characters."]},
        )
    return value


def _amount(value: Any, name: str) -> int | None:
    """An amount in céntimos; None when absent or not an integer; 400 when out of range."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if not 0 <= value <= MAX_AMOUNT_CENTS:
        raise MalformedAnswerError(
            f"kr-answer {name} is out of range.",
            details={name: [f"Must be between 0 and {MAX_AMOUNT_CENTS}."]},
        )
    return value


def resolution_mode_for(detailed_status: str | None) -> str:
    """REFUND_ONLY once captured, CANCELLATION_ONLY while only authorised; else not reversible."""
    if detailed_status in CAPTURED_STATUSES:
        return REFUND_ONLY
    if detailed_status in CANCELLABLE_STATUSES:
        return CANCELLATION_ONLY
    raise PaymentNotReversibleError()
