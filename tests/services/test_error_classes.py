"""Every domain error is a subclass of its status's base, with a code the contract lists."""

import importlib
import pkgutil

import services
from services.exceptions import AppError

# The error codes of the HTTP contract (the Errors table of the API documentation), and
# `bad_gateway`, the generic 502 of api/errors.py.
CONTRACT_CODES = {
    "bad_request",
    "unauthorized", "invalid_credentials", "token_expired", "token_revoked", "invalid_signature",
    "forbidden", "account_disabled", "plan_limit_reached", "feature_not_in_plan",
    "not_found",
    "method_not_allowed",
    "conflict", "email_taken", "slug_taken", "invalid_state", "payment_required", "rsvp_closed",
    "invitation_expired",
    "precondition_failed",
    "payload_too_large",
    "unsupported_media_type",
    "validation_error", "idempotency_key_reused", "coupon_invalid",
    "rate_limited",
    "internal_server_error",
    "payment_gateway_error", "storage_error", "bad_gateway",
    "service_unavailable", "payments_not_configured",
}  # fmt: skip


def all_error_classes() -> list[type[AppError]]:
    for module in pkgutil.iter_modules(services.__path__):
        importlib.import_module(f"services.{module.name}")
    found, pending = [], [AppError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_only_the_status_bases_set_a_status():
    hand_set = [
        cls.__qualname__
        for cls in all_error_classes()
        if "status" in vars(cls) and cls.__module__ != "services.exceptions"
    ]
    assert hand_set == []


def test_each_status_has_one_base_class():
    bases = [cls for cls in all_error_classes() if "status" in vars(cls)]
    statuses = [cls.status for cls in bases]
    assert len(statuses) == len(set(statuses)), statuses


def test_every_error_code_is_one_of_the_contract():
    codes = {cls.code for cls in all_error_classes()}
    assert codes - CONTRACT_CODES == set()
