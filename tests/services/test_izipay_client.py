"""The Izipay client against a local gateway, and signatures against Lyra's published vectors."""

import base64
import json
import logging

import pytest
import requests

from services.izipay import (
    CANCELLATION_ONLY,
    REFUND_ONLY,
    InvalidSignatureError,
    IzipayClient,
    IzipayCredentials,
    MalformedAnswerError,
    PaymentGatewayError,
    PaymentNotReversibleError,
    PaymentsNotConfiguredError,
    compute_hash,
    credentials_from_config,
    mode_of,
    parse_answer,
    resolution_mode_for,
    verify_browser_signature,
    verify_ipn_signature,
)
from tests.izipay_server import (
    HMAC_KEY,
    PASSWORD,
    USERNAME,
    build_payment_answer,
    signed_browser_fields,
    signed_ipn_fields,
)

# Lyra's public demo shop keys (from its published REST API documentation), used only as
# signature test vectors.
DEMO_PASSWORD = "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M"
DEMO_HMAC_KEY = "38453613e7f44dc58732bad3dca2bca3"

# Copied verbatim from lyra/rest-php-sdk src/Lyra/Tests/ClientTest.php, fakePostData("password"):
# an IPN signed with the demo password.
LYRA_IPN_HASH = "88fb7b4838a73c2674ca00ee545454d78dd4b1b733a07c855a1d4460d4417f85"

LYRA_IPN_ANSWER = (
    '{"shopId":"69876357","orderCycle":"CLOSED","orderStatus":"PAID","serverDate":"2018-12-11'
    'T19:09:32+00:00","orderDetails":{"orderTotalAmount":990,"orderCurrency":"EUR","mode":"TE'
    'ST","orderId":"myOrderId-618776","_type":"V4/OrderDetails"},"customer":{"billingDetails"'
    ':{"address":null,"category":null,"cellPhoneNumber":null,"city":null,"country":null,"dist'
    'rict":null,"firstName":null,"identityCode":null,"language":"FR","lastName":null,"phoneNu'
    'mber":null,"state":null,"streetNumber":null,"title":null,"zipCode":null,"_type":"V4/Cust'
    'omer/BillingDetails"},"email":"sample@example.com","reference":null,"shippingDetails":{"'
    'address":null,"address2":null,"category":null,"city":null,"country":null,"deliveryCompan'
    'yName":null,"district":null,"firstName":null,"identityCode":null,"lastName":null,"legalN'
    'ame":null,"phoneNumber":null,"shippingMethod":null,"shippingSpeed":null,"state":null,"st'
    'reetNumber":null,"zipCode":null,"_type":"V4/Customer/ShippingDetails"},"extraDetails":{"'
    'browserAccept":null,"fingerPrintId":null,"ipAddress":"90.71.64.161","browserUserAgent":"'
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_4) AppleWebKit/537.36 (KHTML, like Gecko) C"
    'hrome/70.0.3538.110 Safari/537.36","_type":"V4/Customer/ExtraDetails"},"shoppingCart":{"'
    'insuranceAmount":null,"shippingAmount":null,"taxAmount":null,"cartItemInfo":null,"_type"'
    ':"V4/Customer/ShoppingCart"},"_type":"V4/Customer/Customer"},"transactions":[{"shopId":"'
    '69876357","uuid":"017574bda28e4f1d8413b97fc65c8197","amount":990,"currency":"EUR","payme'
    'ntMethodType":"CARD","paymentMethodToken":null,"status":"PAID","detailedStatus":"AUTHORI'
    'SED","operationType":"DEBIT","effectiveStrongAuthentication":"DISABLED","creationDate":"'
    '2018-12-11T19:09:32+00:00","errorCode":null,"errorMessage":null,"detailedErrorCode":null'
    ',"detailedErrorMessage":null,"metadata":null,"transactionDetails":{"liabilityShift":"NO"'
    ',"effectiveAmount":990,"effectiveCurrency":"EUR","creationContext":"CHARGE","cardDetails'
    '":{"paymentSource":"EC","manualValidation":"NO","expectedCaptureDate":"2018-12-11T19:09:'
    '32+00:00","effectiveBrand":"CB","pan":"497010XXXXXX0055","expiryMonth":11,"expiryYear":2'
    '021,"country":"FR","emisorCode":null,"effectiveProductCode":"F","legacyTransId":"908967"'
    ',"legacyTransDate":"2018-12-11T19:09:26+00:00","paymentMethodSource":"NEW","authorizatio'
    'nResponse":{"amount":990,"currency":"EUR","authorizationDate":"2018-12-11T19:09:32+00:00'
    '","authorizationNumber":"3fd0e3","authorizationResult":"0","authorizationMode":"FULL","_'
    'type":"V4/PaymentMethod/Details/Cards/CardAuthorizationResponse"},"captureResponse":{"re'
    'fundAmount":null,"captureDate":null,"captureFileNumber":null,"refundCurrency":null,"_typ'
    'e":"V4/PaymentMethod/Details/Cards/CardCaptureResponse"},"threeDSResponse":{"authenticat'
    'ionResultData":{"transactionCondition":"COND_3D_ERROR","enrolled":"UNKNOWN","status":"UN'
    'KNOWN","eci":null,"xid":null,"cavvAlgorithm":null,"cavv":null,"signValid":null,"brand":"'
    'VISA","_type":"V4/PaymentMethod/Details/Cards/CardAuthenticationResponse"},"_type":"V4/P'
    'aymentMethod/Details/Cards/ThreeDSResponse"},"markAuthorizationResponse":{"amount":null,'
    '"currency":null,"authorizationDate":null,"authorizationNumber":null,"authorizationResult'
    '":null,"_type":"V4/PaymentMethod/Details/Cards/MarkAuthorizationResponse"},"_type":"V4/P'
    'aymentMethod/Details/CardDetails"},"fraudManagement":null,"parentTransactionUuid":null,"'
    'mid":"6969696","sequenceNumber":1,"additionalFields":{"installmentNumber":null,"_type":"'
    'V4/PaymentMethod/Details/AdditionalFields"},"_type":"V4/TransactionDetails"},"_type":"V4'
    '/PaymentTransaction"}],"_type":"V4/Payment"}'
)

# Same file, fakePostData("sha256_hmac"): a browser return signed with the demo HMAC-SHA-256 key.
LYRA_BROWSER_HASH = "4d57a308d7d8a89a989e8dc54613fe5f7d353a6c749a9769f5e9b9073d5720af"
LYRA_BROWSER_ANSWER = (
    '{"shopId":"69876357","orderCycle":"CLOSED","orderStatus":"PAID","serverDate":"2018-12-11'
    'T19:03:46+00:00","orderDetails":{"orderTotalAmount":250,"orderCurrency":"EUR","mode":"TE'
    'ST","orderId":null,"_type":"V4/OrderDetails"},"customer":{"billingDetails":{"address":nu'
    'll,"category":null,"cellPhoneNumber":null,"city":null,"country":null,"district":null,"fi'
    'rstName":null,"identityCode":null,"language":"EN","lastName":null,"phoneNumber":null,"st'
    'ate":null,"streetNumber":null,"title":null,"zipCode":null,"_type":"V4/Customer/BillingDe'
    'tails"},"email":"sample@example.com","reference":null,"shippingDetails":{"address":null,'
    '"address2":null,"category":null,"city":null,"country":null,"deliveryCompanyName":null,"d'
    'istrict":null,"firstName":null,"identityCode":null,"lastName":null,"legalName":null,"pho'
    'neNumber":null,"shippingMethod":null,"shippingSpeed":null,"state":null,"streetNumber":nu'
    'll,"zipCode":null,"_type":"V4/Customer/ShippingDetails"},"extraDetails":{"browserAccept"'
    ':null,"fingerPrintId":null,"ipAddress":"90.71.64.161","browserUserAgent":"Mozilla/5.0 (M'
    "acintosh; Intel Mac OS X 10_13_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.353"
    '8.110 Safari/537.36","_type":"V4/Customer/ExtraDetails"},"shoppingCart":{"insuranceAmoun'
    't":null,"shippingAmount":null,"taxAmount":null,"cartItemInfo":null,"_type":"V4/Customer/'
    'ShoppingCart"},"_type":"V4/Customer/Customer"},"transactions":[{"shopId":"69876357","uui'
    'd":"c97b7e6f3dbc4c239baf283654f34710","amount":250,"currency":"EUR","paymentMethodType":'
    '"CARD","paymentMethodToken":null,"status":"PAID","detailedStatus":"AUTHORISED","operatio'
    'nType":"DEBIT","effectiveStrongAuthentication":"DISABLED","creationDate":"2018-12-11T19:'
    '03:45+00:00","errorCode":null,"errorMessage":null,"detailedErrorCode":null,"detailedErro'
    'rMessage":null,"metadata":null,"transactionDetails":{"liabilityShift":"NO","effectiveAmo'
    'unt":250,"effectiveCurrency":"EUR","creationContext":"CHARGE","cardDetails":{"paymentSou'
    'rce":"EC","manualValidation":"NO","expectedCaptureDate":"2018-12-11T19:03:45+00:00","eff'
    'ectiveBrand":"CB","pan":"497010XXXXXX0055","expiryMonth":11,"expiryYear":2021,"country":'
    '"FR","emisorCode":null,"effectiveProductCode":"F","legacyTransId":"908733","legacyTransD'
    'ate":"2018-12-11T19:03:38+00:00","paymentMethodSource":"NEW","authorizationResponse":{"a'
    'mount":250,"currency":"EUR","authorizationDate":"2018-12-11T19:03:45+00:00","authorizati'
    'onNumber":"3fbbc6","authorizationResult":"0","authorizationMode":"FULL","_type":"V4/Paym'
    'entMethod/Details/Cards/CardAuthorizationResponse"},"captureResponse":{"refundAmount":nu'
    'll,"captureDate":null,"captureFileNumber":null,"refundCurrency":null,"_type":"V4/Payment'
    'Method/Details/Cards/CardCaptureResponse"},"threeDSResponse":{"authenticationResultData"'
    ':{"transactionCondition":"COND_3D_ERROR","enrolled":"UNKNOWN","status":"UNKNOWN","eci":n'
    'ull,"xid":null,"cavvAlgorithm":null,"cavv":null,"signValid":null,"brand":"VISA","_type":'
    '"V4/PaymentMethod/Details/Cards/CardAuthenticationResponse"},"_type":"V4/PaymentMethod/D'
    'etails/Cards/ThreeDSResponse"},"markAuthorizationResponse":{"amount":null,"currency":nul'
    'l,"authorizationDate":null,"authorizationNumber":null,"authorizationResult":null,"_type"'
    ':"V4/PaymentMethod/Details/Cards/MarkAuthorizationResponse"},"_type":"V4/PaymentMethod/D'
    'etails/CardDetails"},"parentTransactionUuid":null,"mid":"6969696","sequenceNumber":1,"ad'
    'ditionalFields":{"installmentNumber":null,"_type":"V4/PaymentMethod/Details/AdditionalFi'
    'elds"},"_type":"V4/TransactionDetails"},"_type":"V4/PaymentTransaction"}],"_type":"V4/Pa'
    'yment"}'
)

# lyra/rest-php-examples www/helpers.php, getIPNSimulatedPOSTData(): signed with the password.
LYRA_EXAMPLES_IPN_HASH = "9074a0bd1b926fd78ed91eec074affc8d844ed26439fc471e0ca4e6723fa049e"
LYRA_EXAMPLES_IPN_ANSWER = (
    '{"shopId":"69876357","orderCycle":"CLOSED","orderStatus":"PAID","serverDate":"2018-11-08'
    'T08:35:09+00:00","orderDetails":{"orderTotalAmount":990,"orderCurrency":"EUR","mode":"TE'
    'ST","orderId":"myOrderId-187033","_type":"V4/OrderDetails"},"customer":{"billingDetails"'
    ':{"address":null,"category":null,"cellPhoneNumber":null,"city":null,"country":null,"dist'
    'rict":null,"firstName":null,"identityCode":null,"language":"FR","lastName":null,"phoneNu'
    'mber":null,"state":null,"streetNumber":null,"title":null,"zipCode":null,"_type":"V4/Cust'
    'omer/BillingDetails"},"email":"sample@example.com","reference":null,"shippingDetails":{"'
    'address":null,"address2":null,"category":null,"city":null,"country":null,"deliveryCompan'
    'yName":null,"district":null,"firstName":null,"identityCode":null,"lastName":null,"legalN'
    'ame":null,"phoneNumber":null,"shippingMethod":null,"shippingSpeed":null,"state":null,"st'
    'reetNumber":null,"zipCode":null,"_type":"V4/Customer/ShippingDetails"},"extraDetails":{"'
    'browserAccept":null,"fingerPrintId":null,"ipAddress":"37.1.253.83","browserUserAgent":"M'
    "ozilla/5.0 (Macintosh; Intel Mac OS X 10_14_0) AppleWebKit/537.36 (KHTML, like Gecko) Ch"
    'rome/70.0.3538.77 Safari/537.36","_type":"V4/Customer/ExtraDetails"},"shoppingCart":{"in'
    'suranceAmount":null,"shippingAmount":null,"taxAmount":null,"cartItemInfo":null,"_type":"'
    'V4/Customer/ShoppingCart"},"_type":"V4/Customer/Customer"},"transactions":[{"shopId":"69'
    '876357","uuid":"971b6b3b9e364e87bfbe9886b3a75df4","amount":990,"currency":"EUR","payment'
    'MethodType":"CARD","paymentMethodToken":null,"status":"PAID","detailedStatus":"AUTHORISE'
    'D","operationType":"DEBIT","effectiveStrongAuthentication":"DISABLED","creationDate":"20'
    '18-11-08T08:35:09+00:00","errorCode":null,"errorMessage":null,"detailedErrorCode":null,"'
    'detailedErrorMessage":null,"metadata":null,"transactionDetails":{"liabilityShift":"NO","'
    'effectiveAmount":990,"effectiveCurrency":"EUR","creationContext":"CHARGE","cardDetails":'
    '{"paymentSource":"EC","manualValidation":"NO","expectedCaptureDate":"2018-11-08T08:35:09'
    '+00:00","effectiveBrand":"CB","pan":"497010XXXXXX0055","expiryMonth":11,"expiryYear":202'
    '1,"country":"FR","emisorCode":null,"effectiveProductCode":"F","legacyTransId":"900147","'
    'legacyTransDate":"2018-11-08T08:35:03+00:00","paymentMethodSource":"NEW","authorizationR'
    'esponse":{"amount":990,"currency":"EUR","authorizationDate":"2018-11-08T08:35:09+00:00",'
    '"authorizationNumber":"3fe034","authorizationResult":"0","authorizationMode":"FULL","_ty'
    'pe":"V4/PaymentMethod/Details/Cards/CardAuthorizationResponse"},"captureResponse":{"refu'
    'ndAmount":null,"captureDate":null,"captureFileNumber":null,"refundCurrency":null,"_type"'
    ':"V4/PaymentMethod/Details/Cards/CardCaptureResponse"},"threeDSResponse":{"authenticatio'
    'nResultData":{"transactionCondition":"COND_3D_ERROR","enrolled":"UNKNOWN","status":"UNKN'
    'OWN","eci":null,"xid":null,"cavvAlgorithm":null,"cavv":null,"signValid":null,"brand":"VI'
    'SA","_type":"V4/PaymentMethod/Details/Cards/CardAuthenticationResponse"},"_type":"V4/Pay'
    'mentMethod/Details/Cards/ThreeDSResponse"},"installmentNumber":null,"markAuthorizationRe'
    'sponse":{"amount":null,"currency":null,"authorizationDate":null,"authorizationNumber":nu'
    'll,"authorizationResult":null,"_type":"V4/PaymentMethod/Details/Cards/MarkAuthorizationR'
    'esponse"},"_type":"V4/PaymentMethod/Details/CardDetails"},"fraudManagement":null,"parent'
    'TransactionUuid":null,"mid":"6969696","sequenceNumber":1,"_type":"V4/TransactionDetails"'
    '},"_type":"V4/PaymentTransaction"}],"_type":"V4/Payment"}'
)


def client_for(server, **overrides) -> IzipayClient:
    settings = {**server.config, **overrides}
    credentials = credentials_from_config(settings)
    assert credentials is not None
    return IzipayClient(credentials)


def raise_gateway_error(call) -> PaymentGatewayError:
    with pytest.raises(PaymentGatewayError) as caught:
        call()
    assert caught.value.status == 502
    assert caught.value.code == "payment_gateway_error"
    return caught.value


def create_payment(client: IzipayClient, **overrides) -> str:
    arguments = {
        "amount_cents": 14900,
        "currency": "PEN",
        "order_id": "ORD-20250301-0001",
        "customer_email": "ana@example.pe",
    }
    return client.create_payment(**{**arguments, **overrides})


# Configuration


def test_credentials_from_config_reads_the_izipay_settings():
    credentials = credentials_from_config(
        {
            "IZIPAY_USERNAME": "12345678",
            "IZIPAY_PASSWORD": "prodpassword_abc",
            "IZIPAY_PUBLIC_KEY": "12345678:publickey_abc",
            "IZIPAY_HMAC_KEY": "hmac",
            "IZIPAY_ENDPOINT": "https://api.example.pe/",
            "IZIPAY_IPN_URL": "https://shop.example.pe/api/payments/izipay/ipn",
            "IZIPAY_TIMEOUT_SECONDS": "4.5",
        }
    )

    assert credentials == IzipayCredentials(
        username="12345678",
        password="prodpassword_abc",
        public_key="12345678:publickey_abc",
        hmac_key="hmac",
        endpoint="https://api.example.pe",
        ipn_url="https://shop.example.pe/api/payments/izipay/ipn",
        timeout_seconds=4.5,
    )
    assert credentials.mode == "PRODUCTION"


def test_credentials_default_to_micuentaweb_and_ten_seconds():
    credentials = credentials_from_config(
        {"IZIPAY_USERNAME": "1", "IZIPAY_PASSWORD": "testpassword_x", "IZIPAY_PUBLIC_KEY": "k"}
    )

    assert credentials.endpoint == "https://api.micuentaweb.pe"
    assert credentials.timeout_seconds == 10
    assert credentials.hmac_key is None
    assert credentials.ipn_url is None


@pytest.mark.parametrize("missing", ["IZIPAY_USERNAME", "IZIPAY_PASSWORD", "IZIPAY_PUBLIC_KEY"])
def test_credentials_are_none_without_username_password_or_public_key(missing):
    config = {"IZIPAY_USERNAME": "1", "IZIPAY_PASSWORD": "testpassword_x", "IZIPAY_PUBLIC_KEY": "k"}
    config[missing] = ""

    assert credentials_from_config(config) is None
    assert credentials_from_config({}) is None


def test_credentials_repr_hides_the_password_and_hmac_key():
    credentials = IzipayCredentials(
        username="1", password="testpassword_SECRET", public_key="k", hmac_key="HMACSECRET"
    )

    assert "SECRET" not in repr(credentials)


@pytest.mark.parametrize(
    ("password", "mode"),
    [
        ("testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M", "TEST"),
        ("prodpassword_abc", "PRODUCTION"),
        ("password", None),
        ("", None),
        (None, None),
    ],
)
def test_mode_of_reads_the_password_prefix(password, mode):
    assert mode_of(password) == mode


def test_not_configured_error_names_the_settings():
    error = PaymentsNotConfiguredError()

    assert (error.status, error.code) == (503, "payments_not_configured")
    for name in ("IZIPAY_USERNAME", "IZIPAY_PASSWORD", "IZIPAY_PUBLIC_KEY"):
        assert name in error.message


# REST calls


def test_create_payment_sends_cents_order_number_and_basic_auth(izipay_server):
    form_token = create_payment(client_for(izipay_server), customer_reference="user-7")

    request = izipay_server.last_request
    assert request.path == "/api-payment/V4/Charge/CreatePayment"
    assert request.headers["Content-Type"] == "application/json"
    expected_auth = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected_auth}"
    assert request.body == {
        "amount": 14900,
        "currency": "PEN",
        "orderId": "ORD-20250301-0001",
        "customer": {"email": "ana@example.pe", "reference": "user-7"},
    }
    assert izipay_server.payments[form_token]["order_id"] == "ORD-20250301-0001"


def test_create_payment_sends_ipn_target_url_only_when_configured(izipay_server):
    ipn_url = "https://shop.example.pe/api/payments/izipay/ipn"
    create_payment(client_for(izipay_server, IZIPAY_IPN_URL=ipn_url))
    create_payment(client_for(izipay_server), customer_email=None)

    with_url, without_url = izipay_server.received
    assert with_url.body["ipnTargetUrl"] == ipn_url
    assert "ipnTargetUrl" not in without_url.body
    assert "customer" not in without_url.body


def test_gateway_error_envelope_becomes_502_with_gateway_code(izipay_server, caplog):
    izipay_server.fail_next("PSP_099", "too many attempts", detailed_error_code="ACQ_001")
    client = client_for(izipay_server)

    with caplog.at_level(logging.WARNING, logger="services.izipay"):
        error = raise_gateway_error(lambda: create_payment(client))

    assert error.details == {
        "errorCode": "PSP_099",
        "errorMessage": "too many attempts",
        "detailedErrorCode": "ACQ_001",
    }
    assert "PSP_099" in caplog.text
    assert PASSWORD not in caplog.text


def test_wrong_password_is_an_int_905_error_despite_http_401(izipay_server, caplog):
    client = client_for(izipay_server, IZIPAY_PASSWORD="testpassword_WRONG")

    with caplog.at_level(logging.WARNING, logger="services.izipay"):
        error = raise_gateway_error(lambda: client.sdk_test("ping"))

    assert error.details["errorCode"] == "INT_905"
    assert "testpassword_WRONG" not in caplog.text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_cents": 0}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"order_id": ""}, "orderId"),
    ],
)
def test_invalid_input_is_reported_by_the_gateway_as_int_902(izipay_server, overrides, field):
    client = client_for(izipay_server)

    error = raise_gateway_error(lambda: create_payment(client, **overrides))

    assert error.details["errorCode"] == "INT_902"
    assert error.details["detailedErrorCode"] == field


def test_timeout_becomes_502_timeout(izipay_server):
    izipay_server.delay_next(2.0)
    client = client_for(izipay_server, IZIPAY_TIMEOUT_SECONDS="0.3")

    error = raise_gateway_error(lambda: create_payment(client))

    assert error.details == {"reason": "timeout"}


def test_connection_refused_becomes_502(izipay_server):
    client = client_for(izipay_server)
    izipay_server.stop()

    error = raise_gateway_error(lambda: create_payment(client))

    assert error.details == {"reason": "unreachable"}


def test_dropped_connection_becomes_502_unreachable(izipay_server):
    izipay_server.drop_next()

    error = raise_gateway_error(lambda: client_for(izipay_server).sdk_test("ping"))

    assert error.details == {"reason": "unreachable"}


def test_html_error_page_becomes_502_bad_response(izipay_server):
    izipay_server.crash_next()

    error = raise_gateway_error(lambda: create_payment(client_for(izipay_server)))

    assert error.details == {"reason": "bad_response"}


@pytest.mark.parametrize(
    "body",
    [
        {"status": "PENDING", "answer": {"formToken": "x"}},
        {"status": "SUCCESS", "answer": {"_type": "V4/Charge/PaymentForm"}},
        {"status": "SUCCESS"},
        {"status": "ERROR", "answer": {"_type": "V4/WebService/WebServiceError"}},
        ["SUCCESS"],
    ],
)
def test_unusable_envelope_becomes_502_bad_response(izipay_server, body):
    izipay_server.reply_next(200, body)

    error = raise_gateway_error(lambda: create_payment(client_for(izipay_server)))

    assert error.details == {"reason": "bad_response"}


def test_local_gateway_answers_bad_credentials_with_http_401_and_a_v4_envelope(izipay_server):
    response = requests.post(
        f"{izipay_server.url}/api-payment/V4/Charge/SDKTest",
        json={"value": "ping"},
        auth=(USERNAME, "testpassword_WRONG"),
        timeout=5,
    )

    envelope = response.json()
    assert response.status_code == 401
    assert envelope["status"] == "ERROR"
    assert envelope["answer"]["errorCode"] == "INT_905"
    envelope_keys = {"webService", "version", "applicationVersion", "mode", "serverDate", "ticket"}
    assert envelope_keys <= envelope.keys()
    assert envelope["_type"] == "V4/WebService/Response"


def test_client_uses_the_session_it_is_given(izipay_server):
    credentials = credentials_from_config(izipay_server.config)
    with requests.Session() as session:
        session.headers["X-Session-Marker"] = "shared"
        client = IzipayClient(credentials, session=session)
        client.sdk_test("one")
        client.sdk_test("two")

    assert [r.headers.get("X-Session-Marker") for r in izipay_server.received] == ["shared"] * 2


def test_gateway_recovers_after_the_queued_faults(izipay_server):
    izipay_server.crash_next()
    client = client_for(izipay_server)
    raise_gateway_error(lambda: client.sdk_test("first"))

    assert client.sdk_test("second") == "second"


def test_sdk_test_echoes_the_value(izipay_server):
    assert client_for(izipay_server).sdk_test("sdk test string value") == "sdk test string value"
    assert izipay_server.last_request.service == "Charge/SDKTest"


def test_get_transaction_returns_the_gateway_transaction(izipay_server):
    uuid = "0f3c9a7e2b6d4e1f8a9b0c1d2e3f4a5b"
    izipay_server.add_transaction(uuid, "ORD-1001", 2500, "PEN", "AUTHORISED")

    transaction = client_for(izipay_server).get_transaction(uuid)

    assert transaction["uuid"] == uuid
    assert transaction["detailedStatus"] == "AUTHORISED"
    assert izipay_server.last_request.body == {"uuid": uuid}


def test_get_unknown_transaction_becomes_502(izipay_server):
    client = client_for(izipay_server)

    error = raise_gateway_error(lambda: client.get_transaction("f" * 32))

    assert error.details["errorCode"] == "PSP_010"


# Refunds and cancellations


def test_refund_of_captured_payment_creates_a_credit_transaction(izipay_server):
    uuid = "a" * 32
    izipay_server.add_transaction(uuid, "ORD-1", 14900, "PEN", "CAPTURED")

    answer = client_for(izipay_server).cancel_or_refund(
        uuid=uuid,
        amount_cents=14900,
        currency="PEN",
        resolution_mode=resolution_mode_for("CAPTURED"),
        comment="customer asked",
    )

    assert answer["operationType"] == "CREDIT"
    assert answer["uuid"] != uuid
    assert answer["transactionDetails"]["parentTransactionUuid"] == uuid
    assert izipay_server.last_request.body == {
        "uuid": uuid,
        "amount": 14900,
        "currency": "PEN",
        "resolutionMode": "REFUND_ONLY",
        "comment": "customer asked",
    }


def test_cancellation_of_authorised_payment_cancels_it(izipay_server):
    uuid = "b" * 32
    izipay_server.add_transaction(uuid, "ORD-2", 24900, "PEN", "AUTHORISED")
    client = client_for(izipay_server)

    answer = client.cancel_or_refund(
        uuid=uuid,
        amount_cents=24900,
        currency="PEN",
        resolution_mode=resolution_mode_for("AUTHORISED"),
    )

    assert answer["uuid"] == uuid
    assert answer["detailedStatus"] == "CANCELLED"
    assert client.get_transaction(uuid)["status"] == "UNPAID"
    assert "comment" not in izipay_server.received[0].body


@pytest.mark.parametrize(
    ("detailed_status", "wrong_mode"),
    [("AUTHORISED", REFUND_ONLY), ("CAPTURED", CANCELLATION_ONLY), ("CANCELLED", REFUND_ONLY)],
)
def test_wrong_resolution_mode_for_the_state_becomes_502(
    izipay_server, detailed_status, wrong_mode
):
    uuid = "c" * 32
    izipay_server.add_transaction(uuid, "ORD-3", 14900, "PEN", detailed_status)
    client = client_for(izipay_server)

    error = raise_gateway_error(
        lambda: client.cancel_or_refund(
            uuid=uuid, amount_cents=14900, currency="PEN", resolution_mode=wrong_mode
        )
    )

    assert error.details["errorCode"].startswith("PSP_")
    assert client.get_transaction(uuid)["detailedStatus"] == detailed_status


def test_cancel_or_refund_refuses_an_unknown_resolution_mode_before_calling(izipay_server):
    client = client_for(izipay_server)

    with pytest.raises(ValueError):
        client.cancel_or_refund(
            uuid="d" * 32, amount_cents=100, currency="PEN", resolution_mode="AUTO"
        )
    assert izipay_server.received == []


@pytest.mark.parametrize(
    ("detailed_status", "mode"),
    [
        ("CAPTURED", REFUND_ONLY),
        ("AUTHORISED", CANCELLATION_ONLY),
        ("AUTHORISED_TO_VALIDATE", CANCELLATION_ONLY),
        ("WAITING_AUTHORISATION", CANCELLATION_ONLY),
    ],
)
def test_resolution_mode_refunds_captured_and_cancels_authorised(detailed_status, mode):
    assert resolution_mode_for(detailed_status) == mode


@pytest.mark.parametrize("detailed_status", ["REFUSED", "CANCELLED", "EXPIRED", None])
def test_resolution_mode_refuses_payments_that_hold_no_money(detailed_status):
    with pytest.raises(PaymentNotReversibleError) as caught:
        resolution_mode_for(detailed_status)
    assert (caught.value.status, caught.value.code) == (409, "invalid_state")


# Signatures


def test_ipn_signature_accepts_lyra_published_vector():
    fields = {
        "kr-hash": LYRA_IPN_HASH,
        "kr-hash-key": "password",
        "kr-hash-algorithm": "sha256_hmac",
        "kr-answer-type": "V4/Payment",
        "kr-answer": LYRA_IPN_ANSWER,
    }

    verify_ipn_signature(fields, DEMO_PASSWORD)
    assert compute_hash(DEMO_PASSWORD, LYRA_IPN_ANSWER) == LYRA_IPN_HASH


def test_ipn_signature_accepts_lyra_examples_vector():
    fields = {
        "kr-hash": LYRA_EXAMPLES_IPN_HASH,
        "kr-hash-key": "password",
        "kr-hash-algorithm": "sha256_hmac",
        "kr-answer-type": "V3.1/IPNRequest",
        "kr-answer": LYRA_EXAMPLES_IPN_ANSWER,
    }

    verify_ipn_signature(fields, DEMO_PASSWORD)


def test_browser_signature_accepts_lyra_published_vector():
    verify_browser_signature(lyra_browser_fields(), DEMO_HMAC_KEY)
    assert compute_hash(DEMO_HMAC_KEY, LYRA_BROWSER_ANSWER) == LYRA_BROWSER_HASH


def test_browser_signature_needs_only_answer_and_hash():
    fields = {"kr-answer": LYRA_BROWSER_ANSWER, "kr-hash": LYRA_BROWSER_HASH}

    verify_browser_signature(fields, DEMO_HMAC_KEY)


@pytest.mark.parametrize("hash_key", ["sha256_hmac", "", None])
def test_ipn_signature_refuses_a_valid_hash_that_does_not_claim_the_password_key(hash_key):
    fields = {**lyra_ipn_fields(), "kr-hash-key": hash_key}

    with pytest.raises(InvalidSignatureError):
        verify_ipn_signature(fields, DEMO_PASSWORD)


def test_ipn_signature_refuses_browser_key():
    fields = lyra_browser_fields()

    with pytest.raises(InvalidSignatureError):
        verify_ipn_signature(fields, DEMO_PASSWORD)
    # Even claiming the password key, an answer signed with the HMAC key does not verify.
    with pytest.raises(InvalidSignatureError):
        verify_ipn_signature({**fields, "kr-hash-key": "password"}, DEMO_PASSWORD)


def test_browser_signature_refuses_password_signed_answer():
    fields = {"kr-answer": LYRA_IPN_ANSWER, "kr-hash": LYRA_IPN_HASH}

    with pytest.raises(InvalidSignatureError):
        verify_browser_signature(fields, DEMO_HMAC_KEY)
    with pytest.raises(InvalidSignatureError):
        verify_browser_signature({**fields, "kr-hash-key": "password"}, DEMO_PASSWORD)


@pytest.mark.parametrize("algorithm", ["sha256", "sha1_hmac", "SHA256_HMAC", None])
def test_ipn_signature_refuses_other_algorithm(algorithm):
    fields = lyra_ipn_fields()
    fields["kr-hash-algorithm"] = algorithm

    with pytest.raises(InvalidSignatureError) as caught:
        verify_ipn_signature(fields, DEMO_PASSWORD)
    assert (caught.value.status, caught.value.code) == (401, "invalid_signature")


def test_browser_signature_refuses_other_algorithm():
    fields = {**lyra_browser_fields(), "kr-hash-algorithm": "sha512_hmac"}

    with pytest.raises(InvalidSignatureError):
        verify_browser_signature(fields, DEMO_HMAC_KEY)


@pytest.mark.parametrize("missing", ["kr-hash", "kr-answer"])
def test_missing_hash_or_answer_is_an_invalid_signature(missing):
    ipn_fields = lyra_ipn_fields()
    browser_fields = lyra_browser_fields()
    del ipn_fields[missing], browser_fields[missing]

    with pytest.raises(InvalidSignatureError):
        verify_ipn_signature(ipn_fields, DEMO_PASSWORD)
    with pytest.raises(InvalidSignatureError):
        verify_browser_signature(browser_fields, DEMO_HMAC_KEY)


def test_tampered_amount_breaks_the_signature():
    fields = lyra_ipn_fields()
    fields["kr-answer"] = LYRA_IPN_ANSWER.replace('"orderTotalAmount":990', '"orderTotalAmount":1')

    with pytest.raises(InvalidSignatureError):
        verify_ipn_signature(fields, DEMO_PASSWORD)


def test_signature_survives_escaped_slashes():
    # ClientTest.php's "sha256_hmac_php53" case: the same answer with every `/` sent as `\/`.
    escaped = LYRA_BROWSER_ANSWER.replace("/", "\\/")
    fields = {**lyra_browser_fields(), "kr-answer": escaped}

    assert compute_hash(DEMO_HMAC_KEY, escaped) != LYRA_BROWSER_HASH
    verify_browser_signature(fields, DEMO_HMAC_KEY)
    ipn_fields = lyra_ipn_fields()
    ipn_fields["kr-answer"] = LYRA_IPN_ANSWER.replace("/", "\\/")
    verify_ipn_signature(ipn_fields, DEMO_PASSWORD)


def test_rehashing_reserialized_json_fails():
    reserialized = json.dumps(json.loads(LYRA_IPN_ANSWER))
    fields = {**lyra_ipn_fields(), "kr-answer": reserialized}

    assert json.loads(reserialized) == json.loads(LYRA_IPN_ANSWER)
    with pytest.raises(InvalidSignatureError):
        verify_ipn_signature(fields, DEMO_PASSWORD)


def test_uppercase_hex_hash_is_accepted():
    fields = {**lyra_ipn_fields(), "kr-hash": LYRA_IPN_HASH.upper()}

    verify_ipn_signature(fields, DEMO_PASSWORD)


def test_non_ascii_hash_is_refused_not_crashed():
    fields = {**lyra_ipn_fields(), "kr-hash": "é" * 64}

    with pytest.raises(InvalidSignatureError):
        verify_ipn_signature(fields, DEMO_PASSWORD)


def test_signatures_without_a_key_mean_payments_are_not_configured():
    with pytest.raises(PaymentsNotConfiguredError):
        verify_browser_signature(lyra_browser_fields(), None)
    with pytest.raises(PaymentsNotConfiguredError):
        verify_ipn_signature(lyra_ipn_fields(), "")


def test_local_gateway_signatures_verify_both_ways():
    # Two independent implementations (tests/izipay_server.py and services/izipay.py) agree,
    # including on an accented name, hashed as UTF-8.
    answer = build_payment_answer(
        order_id="ORD-Ñandú-1", amount=14900, customer_email="josé@example.pe"
    )

    verify_ipn_signature(signed_ipn_fields(answer, PASSWORD), PASSWORD)
    verify_browser_signature(signed_browser_fields(answer, HMAC_KEY), HMAC_KEY)
    with pytest.raises(InvalidSignatureError):
        verify_ipn_signature(signed_ipn_fields(answer, HMAC_KEY), PASSWORD)
    with pytest.raises(InvalidSignatureError):
        verify_browser_signature(signed_browser_fields(answer, PASSWORD), HMAC_KEY)


def test_paid_order_on_local_gateway_yields_a_verifiable_ipn(izipay_server):
    create_payment(client_for(izipay_server), order_id="ORD-77", amount_cents=24900)

    answer = izipay_server.pay_order("ORD-77", detailed_status="CAPTURED")
    verify_ipn_signature(izipay_server.signed_ipn_fields(answer), PASSWORD)
    payment = parse_answer(answer)

    assert (payment.order_id, payment.amount, payment.currency) == ("ORD-77", 24900, "PEN")
    assert payment.mode == "TEST"
    assert payment.detailed_status == "CAPTURED"
    assert izipay_server.transactions[payment.transaction_uuid]["amount"] == 24900


# Payment answers


def test_parse_answer_reads_the_izipay_md_example():
    raw = json.dumps(DOCUMENTED_ANSWER, separators=(",", ":"))

    payment = parse_answer(raw)

    assert payment.order_id == "ORD-1001"
    assert payment.order_status == "PAID"
    assert payment.order_cycle == "CLOSED"
    assert payment.amount == 2500
    assert payment.currency == "PEN"
    assert payment.mode == "TEST"
    assert payment.shop_id == "12345678"
    assert payment.transaction_uuid == "0f3c9a7e2b6d4e1f8a9b0c1d2e3f4a5b"
    assert payment.transaction_status == "PAID"
    assert payment.detailed_status == "AUTHORISED"
    assert payment.transaction_amount == 2500
    assert payment.transaction_currency == "PEN"
    assert payment.operation_type == "DEBIT"
    assert payment.raw == raw


def test_parse_answer_reads_lyra_answer_without_order_id():
    payment = parse_answer(LYRA_BROWSER_ANSWER)

    assert payment.order_id is None
    assert (payment.amount, payment.currency) == (250, "EUR")
    assert payment.transaction_uuid == "c97b7e6f3dbc4c239baf283654f34710"


def test_parse_answer_tolerates_an_answer_without_transactions():
    example = {**DOCUMENTED_ANSWER, "orderStatus": "ABANDONED", "transactions": []}

    payment = parse_answer(json.dumps(example))

    assert payment.order_status == "ABANDONED"
    assert payment.transaction_uuid is None
    assert payment.detailed_status is None


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json",
        '{"orderDetails": ',
        "[]",
        '{"orderStatus": "PAID"}',
        '{"orderDetails": "ORD-1"}',
        '{"orderDetails": {"orderTotalAmount": "25.00", "orderCurrency": "PEN"}}',
        '{"orderDetails": {"orderTotalAmount": true, "orderCurrency": "PEN"}}',
    ],
)
def test_parse_answer_rejects_malformed_input(raw):
    with pytest.raises(MalformedAnswerError) as caught:
        parse_answer(raw)
    assert (caught.value.status, caught.value.code) == (400, "bad_request")


def lyra_ipn_fields() -> dict:
    return {
        "kr-hash": LYRA_IPN_HASH,
        "kr-hash-key": "password",
        "kr-hash-algorithm": "sha256_hmac",
        "kr-answer-type": "V4/Payment",
        "kr-answer": LYRA_IPN_ANSWER,
    }


def lyra_browser_fields() -> dict:
    return {
        "kr-hash": LYRA_BROWSER_HASH,
        "kr-hash-key": "sha256_hmac",
        "kr-hash-algorithm": "sha256_hmac",
        "kr-answer-type": "V4/Payment",
        "kr-answer": LYRA_BROWSER_ANSWER,
    }


# The example payment answer of Izipay's IPN documentation.
DOCUMENTED_ANSWER = {
    "shopId": "12345678",
    "orderCycle": "CLOSED",
    "orderStatus": "PAID",
    "serverDate": "2025-03-01T15:04:05+00:00",
    "orderDetails": {
        "orderTotalAmount": 2500,
        "orderCurrency": "PEN",
        "mode": "TEST",
        "orderId": "ORD-1001",
        "_type": "V4/OrderDetails",
    },
    "customer": {
        "email": "buyer@example.pe",
        "reference": "CUST-7",
        "billingDetails": {
            "firstName": "Ana",
            "identityType": "DNI",
            "identityCode": "12345678",
            "_type": "V4/Customer/BillingDetails",
        },
        "_type": "V4/Customer/Customer",
    },
    "transactions": [
        {
            "uuid": "0f3c9a7e2b6d4e1f8a9b0c1d2e3f4a5b",
            "amount": 2500,
            "currency": "PEN",
            "paymentMethodType": "CARD",
            "status": "PAID",
            "detailedStatus": "AUTHORISED",
            "operationType": "DEBIT",
            "creationDate": "2025-03-01T15:04:04+00:00",
            "errorCode": None,
            "metadata": {"cart": "42"},
            "transactionDetails": {
                "sequenceNumber": 1,
                "cardDetails": {"effectiveBrand": "VISA", "pan": "497010XXXXXX0055"},
                "_type": "V4/TransactionDetails",
            },
            "_type": "V4/PaymentTransaction",
        }
    ],
    "_type": "V4/Payment",
}
