"""A local HTTP server speaking Izipay's V4 REST protocol, and signed IPN/browser-return fields."""

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# Written without services/izipay.py on purpose: the tests cross-check two implementations.

USERNAME = "12345678"
PASSWORD = "testpassword_LOCALTESTKEY123"
PUBLIC_KEY = "12345678:testpublickey_LOCALKEY"
HMAC_KEY = "localhmackey0123456789abcdef"

API_PREFIX = "/api-payment/V4/"
SUPPORTED_CURRENCIES = ("PEN", "USD")
MAX_ORDER_ID_LENGTH = 64
# Lyra's documentation names no code for "wrong resolutionMode for this state" or "unknown
# uuid"; the client only needs an ERROR envelope, so these stand in for whatever PSP_ code
# the gateway really uses.
WRONG_STATE_ERROR_CODE = "PSP_100"
UNKNOWN_TRANSACTION_ERROR_CODE = "PSP_010"

PAID_STATUSES = {"ACCEPTED", "AUTHORISED", "CAPTURED", "PARTIALLY_AUTHORISED"}
RUNNING_STATUSES = {
    "AUTHORISED_TO_VALIDATE",
    "WAITING_AUTHORISATION",
    "WAITING_AUTHORISATION_TO_VALIDATE",
    "UNDER_VERIFICATION",
    "PRE_AUTHORISED",
    "CAPTURE_PENDING",
    "SUSPENDED",
}
UNPAID_STATUSES = {"REFUSED", "CANCELLED", "EXPIRED", "ERROR"}
CANCELLABLE_STATUSES = {
    "AUTHORISED",
    "AUTHORISED_TO_VALIDATE",
    "WAITING_AUTHORISATION",
    "WAITING_AUTHORISATION_TO_VALIDATE",
}
DEFAULT_DETAILED_STATUS = {
    "PAID": "AUTHORISED",
    "UNPAID": "REFUSED",
    "RUNNING": "WAITING_AUTHORISATION",
    "PARTIALLY_PAID": "PARTIALLY_AUTHORISED",
    "ABANDONED": "ABANDONED",
}


def hmac_sha256_hex(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def transaction_status(detailed_status: str) -> str:
    if detailed_status in PAID_STATUSES:
        return "PAID"
    if detailed_status in RUNNING_STATUSES:
        return "RUNNING"
    if detailed_status in UNPAID_STATUSES:
        return "UNPAID"
    return "ABANDONED"


def server_date() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def to_gateway_json(value: Any) -> str:
    """Compact, slashes and accents left as they are: the text the gateway signs."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def transaction_fields(
    shop_id: str,
    uuid: str,
    amount: int,
    currency: str,
    detailed_status: str,
    operation_type: str,
    created: str,
) -> dict[str, Any]:
    """The fields a V4 transaction has in an IPN answer and in Transaction/Get alike."""
    return {
        "shopId": shop_id,
        "uuid": uuid,
        "amount": amount,
        "currency": currency,
        "paymentMethodType": "CARD",
        "paymentMethodToken": None,
        "status": transaction_status(detailed_status),
        "detailedStatus": detailed_status,
        "operationType": operation_type,
        "effectiveStrongAuthentication": "DISABLED",
        "creationDate": created,
        "errorCode": None,
        "errorMessage": None,
        "detailedErrorCode": None,
        "detailedErrorMessage": None,
        "metadata": None,
    }


def build_payment_answer(
    *,
    order_id: str | None,
    amount: int,
    currency: str = "PEN",
    order_status: str = "PAID",
    detailed_status: str | None = None,
    transaction_uuid: str | None = None,
    mode: str = "TEST",
    customer_email: str | None = "buyer@example.pe",
    shop_id: str = USERNAME,
    order_cycle: str = "CLOSED",
    operation_type: str = "DEBIT",
) -> str:
    """A `V4/Payment` kr-answer as the gateway posts it (docs/spa-integration.md, "Payments
    (Izipay)")."""
    detailed_status = detailed_status or DEFAULT_DETAILED_STATUS.get(order_status, "REFUSED")
    now = server_date()
    answer = {
        "shopId": shop_id,
        "orderCycle": order_cycle,
        "orderStatus": order_status,
        "serverDate": now,
        "orderDetails": {
            "orderTotalAmount": amount,
            "orderEffectiveAmount": amount,
            "orderCurrency": currency,
            "mode": mode,
            "orderId": order_id,
            "_type": "V4/OrderDetails",
        },
        "customer": {
            "billingDetails": {
                "firstName": None,
                "language": "ES",
                "_type": "V4/Customer/BillingDetails",
            },
            "email": customer_email,
            "reference": None,
            "extraDetails": {
                "ipAddress": "190.12.34.56",
                "browserUserAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                "_type": "V4/Customer/ExtraDetails",
            },
            "_type": "V4/Customer/Customer",
        },
        "transactions": [
            {
                **transaction_fields(
                    shop_id,
                    transaction_uuid or secrets.token_hex(16),
                    amount,
                    currency,
                    detailed_status,
                    operation_type,
                    now,
                ),
                "transactionDetails": {
                    "liabilityShift": "NO",
                    "effectiveAmount": amount,
                    "effectiveCurrency": currency,
                    "creationContext": "CHARGE",
                    "cardDetails": {
                        "effectiveBrand": "VISA",
                        "pan": "497010XXXXXX0055",
                        "expiryMonth": 12,
                        "expiryYear": 2030,
                        "_type": "V4/PaymentMethod/Details/CardDetails",
                    },
                    "parentTransactionUuid": None,
                    "sequenceNumber": 1,
                    "_type": "V4/TransactionDetails",
                },
                "_type": "V4/PaymentTransaction",
            }
        ],
        "_type": "V4/Payment",
    }
    return to_gateway_json(answer)


def signed_ipn_fields(answer: str, password: str = PASSWORD) -> dict[str, str]:
    """The form fields of a server-to-server IPN: signed with the password (docs/spa-integration.md,
    "How a notification is processed")."""
    return {
        "kr-hash": hmac_sha256_hex(password, answer),
        "kr-hash-algorithm": "sha256_hmac",
        "kr-hash-key": "password",
        "kr-answer-type": "V4/Payment",
        "kr-answer": answer,
    }


def signed_browser_fields(answer: str, hmac_key: str = HMAC_KEY) -> dict[str, str]:
    """The fields of a browser return (kr-post-url-success): signed with the HMAC key."""
    return {
        "kr-hash": hmac_sha256_hex(hmac_key, answer),
        "kr-hash-algorithm": "sha256_hmac",
        "kr-hash-key": "sha256_hmac",
        "kr-answer-type": "V4/Payment",
        "kr-answer": answer,
    }


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON, None when the body was not JSON
    raw_body: bytes

    @property
    def service(self) -> str:
        return self.path.removeprefix(API_PREFIX)


@dataclass(frozen=True)
class Fault:
    kind: str  # "error", "delay", "reply" or "close"
    error_code: str = ""
    error_message: str = ""
    detailed_error_code: str | None = None
    http_status: int = 200
    seconds: float = 0.0
    content: bytes = b""
    content_type: str = "text/html"
    # Only calls to this web service; None: the next call, whatever it is.
    service: str | None = None


class GatewayError(Exception):
    """Raised inside the handler to answer an ERROR envelope."""

    def __init__(self, code: str, message: str, detail: str | None = None, http_status=200):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        self.http_status = http_status


class IzipayServer:
    """Charge/CreatePayment, Charge/SDKTest, Transaction/Get, Order/Get and
    Transaction/CancelOrRefund."""

    def __init__(
        self,
        *,
        username: str = USERNAME,
        password: str = PASSWORD,
        public_key: str = PUBLIC_KEY,
        hmac_key: str = HMAC_KEY,
    ):
        self.username = username
        self.password = password
        self.public_key = public_key
        self.hmac_key = hmac_key
        self.received: list[RecordedRequest] = []
        self.payments: dict[str, dict[str, Any]] = {}  # by formToken
        self.transactions: dict[str, dict[str, Any]] = {}  # by uuid
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def mode(self) -> str:
        return "TEST" if self.password.startswith("testpassword_") else "PRODUCTION"

    @property
    def url(self) -> str:
        """The endpoint to configure, i.e. what IZIPAY_ENDPOINT would hold."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def config(self) -> dict[str, Any]:
        """The IZIPAY_* settings that point an app at this server."""
        return {
            "IZIPAY_USERNAME": self.username,
            "IZIPAY_PASSWORD": self.password,
            "IZIPAY_PUBLIC_KEY": self.public_key,
            "IZIPAY_HMAC_KEY": self.hmac_key,
            "IZIPAY_ENDPOINT": self.url,
        }

    @property
    def last_request(self) -> RecordedRequest:
        return self.received[-1]

    def start(self) -> "IzipayServer":
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll keeps stop(), hence each test's teardown, fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # Misbehaviour, each for the next `times` calls, in the order queued.

    def fail_next(
        self,
        error_code: str,
        error_message: str = "simulated gateway error",
        *,
        detailed_error_code: str | None = None,
        http_status: int = 200,
        times: int = 1,
        service: str | None = None,
    ) -> None:
        """Answers an ERROR envelope; with `service`, only to calls of that web service."""
        fault = Fault(
            "error",
            error_code=error_code,
            error_message=error_message,
            detailed_error_code=detailed_error_code,
            http_status=http_status,
            service=service,
        )
        self._queue(fault, times)

    def delay_next(self, seconds: float, times: int = 1, *, service: str | None = None) -> None:
        """Answers normally, but only after `seconds` (cut short when the server stops);
        with `service`, only calls to that web service are delayed."""
        self._queue(Fault("delay", seconds=seconds, service=service), times)

    def crash_next(self, times: int = 1) -> None:
        """Answers a 500 HTML page, as a proxy in front of the gateway would."""
        page = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
        self.reply_next(500, page, times=times)

    def reply_next(
        self,
        http_status: int,
        content: bytes | str | dict | list,
        *,
        content_type: str | None = None,
        times: int = 1,
    ) -> None:
        """Answers exactly this body (a dict or list is sent as JSON), whatever was asked."""
        if isinstance(content, dict | list):
            content = to_gateway_json(content)
            content_type = content_type or "application/json;charset=UTF-8"
        if isinstance(content, str):
            content = content.encode()
        fault = Fault(
            "reply",
            http_status=http_status,
            content=content,
            content_type=content_type or "text/html",
        )
        self._queue(fault, times)

    def drop_next(self, times: int = 1) -> None:
        """Closes the connection without answering."""
        self._queue(Fault("close"), times)

    def _queue(self, fault: Fault, times: int) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def _next_fault(self, service: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.service in (None, service):
                    self._faults.remove(fault)
                    return fault
            return None

    def requests_to(self, service: str) -> list[RecordedRequest]:
        """Every call received for `service` (e.g. "Transaction/CancelOrRefund"), in order."""
        with self._lock:
            return [request for request in self.received if request.service == service]

    # State and builders.

    def add_transaction(
        self,
        uuid: str,
        order_id: str,
        amount: int,
        currency: str = "PEN",
        detailed_status: str = "CAPTURED",
        *,
        operation_type: str = "DEBIT",
        parent_uuid: str | None = None,
    ) -> dict[str, Any]:
        now = server_date()
        transaction = {
            **transaction_fields(
                self.username, uuid, amount, currency, detailed_status, operation_type, now
            ),
            "orderDetails": {
                "orderTotalAmount": amount,
                "orderCurrency": currency,
                "mode": self.mode,
                "orderId": order_id,
                "_type": "V4/OrderDetails",
            },
            "transactionDetails": {
                "effectiveAmount": amount,
                "effectiveCurrency": currency,
                "creationContext": "REFUND" if operation_type == "CREDIT" else "CHARGE",
                "cardDetails": {
                    "effectiveBrand": "VISA",
                    "pan": "497010XXXXXX0055",
                    "captureResponse": {
                        "refundAmount": None,
                        "refundCurrency": None,
                        "_type": "V4/PaymentMethod/Details/Cards/CardCaptureResponse",
                    },
                    "_type": "V4/PaymentMethod/Details/CardDetails",
                },
                "parentTransactionUuid": parent_uuid,
                "sequenceNumber": 1,
                "_type": "V4/TransactionDetails",
            },
            "_type": "V4/Transaction",
        }
        with self._lock:
            self.transactions[uuid] = transaction
        return transaction

    def payment_for_order(self, order_id: str) -> dict[str, Any]:
        """The last CreatePayment received for this order."""
        matches = [p for p in self.payments.values() if p["order_id"] == order_id]
        assert matches, f"no CreatePayment received for {order_id}"
        return matches[-1]

    def pay_order(
        self, order_id: str, *, detailed_status: str = "AUTHORISED", order_status: str = "PAID"
    ) -> str:
        """Completes a payment created through CreatePayment; returns its kr-answer."""
        payment = self.payment_for_order(order_id)
        uuid = secrets.token_hex(16)
        self.add_transaction(
            uuid, order_id, payment["amount"], payment["currency"], detailed_status
        )
        return self.build_payment_answer(
            order_id=order_id,
            amount=payment["amount"],
            currency=payment["currency"],
            order_status=order_status,
            detailed_status=detailed_status,
            transaction_uuid=uuid,
            customer_email=payment["email"],
        )

    def build_payment_answer(self, **fields: Any) -> str:
        fields.setdefault("shop_id", self.username)
        fields.setdefault("mode", self.mode)
        return build_payment_answer(**fields)

    def signed_ipn_fields(self, answer: str, password: str | None = None) -> dict[str, str]:
        return signed_ipn_fields(answer, password or self.password)

    def signed_browser_fields(self, answer: str, hmac_key: str | None = None) -> dict[str, str]:
        return signed_browser_fields(answer, hmac_key or self.hmac_key)

    # The web services.

    def envelope(self, service: str, status: str, answer: dict[str, Any]) -> dict[str, Any]:
        return {
            "webService": service,
            "version": "V4",
            "applicationVersion": "6.24.0",
            "applicationProvider": "LOCAL",
            "status": status,
            "mode": self.mode,
            "serverDate": server_date(),
            "ticket": secrets.token_hex(16),
            "serverUrl": self.url,
            "metadata": None,
            "answer": answer,
            "_type": "V4/WebService/Response",
        }

    def error_envelope(
        self, service: str, code: str, message: str, detail: str | None = None
    ) -> dict[str, Any]:
        answer = {
            "errorCode": code,
            "errorMessage": message,
            "detailedErrorCode": detail,
            "detailedErrorMessage": None,
            "_type": "V4/WebService/WebServiceError",
        }
        return self.envelope(service, "ERROR", answer)

    def is_authorized(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return hmac.compare_digest((header or "").encode(), f"Basic {expected}".encode())

    def answer_service(self, service: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise GatewayError("INT_902", "web-service input data validation error", "body")
        handlers = {
            "Charge/SDKTest": self._sdk_test,
            "Charge/CreatePayment": self._create_payment,
            "Transaction/Get": self._get_transaction,
            "Order/Get": self._get_order,
            "Transaction/CancelOrRefund": self._cancel_or_refund,
        }
        if service not in handlers:
            raise GatewayError("INT_902", f"unknown web service {service}", "webService", 404)
        return handlers[service](body)

    def _sdk_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"value": body.get("value"), "_type": "V4/Charge/SDKTest"}

    def _create_payment(self, body: dict[str, Any]) -> dict[str, Any]:
        amount = _valid_amount(body)
        currency = _valid_currency(body)
        order_id = body.get("orderId")
        if not isinstance(order_id, str) or not 0 < len(order_id) <= MAX_ORDER_ID_LENGTH:
            raise GatewayError("INT_902", "web-service input data validation error", "orderId")
        customer = body.get("customer") or {}
        form_token = f"{secrets.token_hex(16)}{secrets.token_urlsafe(48)}"
        with self._lock:
            self.payments[form_token] = {
                "form_token": form_token,
                "order_id": order_id,
                "amount": amount,
                "currency": currency,
                "email": customer.get("email"),
                "reference": customer.get("reference"),
                "ipn_target_url": body.get("ipnTargetUrl"),
            }
        return {"formToken": form_token, "_type": "V4/Charge/PaymentForm"}

    def _get_transaction(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._known_transaction(body)

    def _get_order(self, body: dict[str, Any]) -> dict[str, Any]:
        """The order's transactions, optionally of one operationType (DEBIT, CREDIT...)."""
        order_id = body.get("orderId")
        if not isinstance(order_id, str) or not order_id:
            raise GatewayError("INT_902", "web-service input data validation error", "orderId")
        operation_type = body.get("operationType")
        with self._lock:
            transactions = [
                transaction
                for transaction in self.transactions.values()
                if transaction["orderDetails"]["orderId"] == order_id
                and operation_type in (None, transaction["operationType"])
            ]
        return {"transactions": transactions, "_type": "V4/OrderTransactions"}

    def _cancel_or_refund(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction = self._known_transaction(body)
        amount = _valid_amount(body)
        currency = _valid_currency(body)
        mode = body.get("resolutionMode")
        if currency != transaction["currency"] or amount > transaction["amount"]:
            raise GatewayError("INT_902", "amount or currency does not match", "amount")
        detailed_status = transaction["detailedStatus"]
        if mode == "REFUND_ONLY" and detailed_status == "CAPTURED":
            refund_uuid = secrets.token_hex(16)
            refund = self.add_transaction(
                refund_uuid,
                transaction["orderDetails"]["orderId"],
                amount,
                currency,
                "ACCEPTED",
                operation_type="CREDIT",
                parent_uuid=transaction["uuid"],
            )
            capture = transaction["transactionDetails"]["cardDetails"]["captureResponse"]
            capture["refundAmount"] = (capture["refundAmount"] or 0) + amount
            capture["refundCurrency"] = currency
            return refund
        if mode == "CANCELLATION_ONLY" and detailed_status in CANCELLABLE_STATUSES:
            transaction["detailedStatus"] = "CANCELLED"
            transaction["status"] = transaction_status("CANCELLED")
            return transaction
        if mode not in ("REFUND_ONLY", "CANCELLATION_ONLY"):
            raise GatewayError("INT_902", "invalid resolutionMode", "resolutionMode")
        raise GatewayError(
            WRONG_STATE_ERROR_CODE,
            f"{mode} is not possible on a {detailed_status} transaction",
            "resolutionMode",
        )

    def _known_transaction(self, body: dict[str, Any]) -> dict[str, Any]:
        uuid = body.get("uuid")
        if not isinstance(uuid, str) or not re.fullmatch(r"[0-9a-f]{32}", uuid):
            raise GatewayError("INT_902", "web-service input data validation error", "uuid")
        if uuid not in self.transactions:
            raise GatewayError(UNKNOWN_TRANSACTION_ERROR_CODE, "transaction not found", "uuid")
        return self.transactions[uuid]


def _valid_amount(body: dict[str, Any]) -> int:
    amount = body.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise GatewayError("INT_902", "web-service input data validation error", "amount")
    return amount


def _valid_currency(body: dict[str, Any]) -> str:
    currency = body.get("currency")
    if currency not in SUPPORTED_CURRENCIES:
        raise GatewayError("INT_902", "web-service input data validation error", "currency")
    return currency


def _handler_for(server: IzipayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw_body = self.rfile.read(length)
            try:
                body = json.loads(raw_body)
            except ValueError:
                body = None
            with server._lock:
                server.received.append(
                    RecordedRequest("POST", self.path, dict(self.headers), body, raw_body)
                )
            service = self.path.removeprefix(API_PREFIX)

            fault = server._next_fault(service)
            if fault is not None and fault.kind == "close":
                self.close_connection = True
                return
            if fault is not None and fault.kind == "reply":
                self._send(fault.http_status, fault.content, fault.content_type)
                return
            if fault is not None and fault.kind == "delay":
                if server._stopping.wait(fault.seconds):
                    return
            if fault is not None and fault.kind == "error":
                envelope = server.error_envelope(
                    service, fault.error_code, fault.error_message, fault.detailed_error_code
                )
                self._send_json(fault.http_status, envelope)
                return

            if not server.is_authorized(self.headers.get("Authorization")):
                envelope = server.error_envelope(
                    service, "INT_905", "invalid username or password", "Authorization"
                )
                self._send_json(401, envelope)
                return
            try:
                answer = server.answer_service(service, body)
            except GatewayError as error:
                envelope = server.error_envelope(service, error.code, error.message, error.detail)
                self._send_json(error.http_status, envelope)
                return
            self._send_json(200, server.envelope(service, "SUCCESS", answer))

        def _send_json(self, status: int, envelope: dict[str, Any]) -> None:
            self._send(status, to_gateway_json(envelope).encode(), "application/json;charset=UTF-8")

        def _send(self, status: int, content: bytes, content_type: str = "text/html") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test); nothing left to tell it

        def log_message(self, format, *args):
            pass  # keep test output clean

    return Handler


# Named apart from its fixture so a test module can import it without shadowing warnings.
@pytest.fixture(name="izipay_server")
def izipay_server_fixture():
    """A started gateway with the local test keys; stopped after the test."""
    server = IzipayServer().start()
    try:
        yield server
    finally:
        server.stop()
