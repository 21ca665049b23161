"""Rate limits: views declare named limits; each app gets its own Limiter.

One Limiter per app (not a module-level one) keeps each app's storage its
own: `memory://` counts per process, and Redis (REDIS_URL) is what makes
several workers and hosts share one count.
"""

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# name -> (config key holding the limit, what the limit is counted by)
NAMED_LIMITS = {
    "login": ("RATELIMIT_LOGIN", "ip_and_email"),
    "login_ip": ("RATELIMIT_LOGIN_IP", "ip"),
    "register": ("RATELIMIT_REGISTER", "ip"),
    "forgot_password": ("RATELIMIT_FORGOT_PASSWORD", "email"),
    "rsvp": ("RATELIMIT_RSVP", "ip_and_code"),
    "claims": ("RATELIMIT_CLAIMS", "ip"),
    "uploads": ("RATELIMIT_UPLOADS", "ip"),
}

# Probes, docs and gateway callbacks are never throttled by the default limit.
EXEMPT_ENDPOINTS = frozenset(
    {"system.health", "metrics", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}
)


def rate_limit(*names: str):
    """Mark a view with named limits; `init_rate_limits` applies them."""
    unknown = set(names) - set(NAMED_LIMITS)
    if unknown:
        raise ValueError(f"unknown rate limits: {sorted(unknown)}")

    def mark(func):
        func._rate_limits = (*getattr(func, "_rate_limits", ()), *names)
        return func

    return mark


def exempt_from_rate_limits(func):
    func._rate_limit_exempt = True
    return func


def _json_email() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return email.strip().lower() if isinstance(email, str) else ""


KEY_FUNCTIONS = {
    "ip": get_remote_address,
    "email": lambda: _json_email() or get_remote_address(),
    "ip_and_email": lambda: f"{get_remote_address()}|{_json_email()}",
    "ip_and_code": lambda: f"{get_remote_address()}|{(request.view_args or {}).get('code', '')}",
}


def init_rate_limits(app: Flask) -> Limiter:
    config = app.config
    exempt = EXEMPT_ENDPOINTS | {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "_rate_limit_exempt", False)
    }
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        default_limits=[config["RATELIMIT_DEFAULT"]],
        default_limits_exempt_when=lambda: request.endpoint in exempt,
        storage_uri=config["RATELIMIT_STORAGE_URI"],
        key_prefix=config["REDIS_KEY_PREFIX"],
        headers_enabled=True,
        strategy="fixed-window",
        # If Redis is unreachable, count in memory instead of failing every request.
        in_memory_fallback_enabled=True,
    )
    for endpoint, view in list(app.view_functions.items()):
        for name in getattr(view, "_rate_limits", ()):
            config_key, key_kind = NAMED_LIMITS[name]
            view = limiter.limit(config[config_key], key_func=KEY_FUNCTIONS[key_kind], scope=name)(
                view
            )
        app.view_functions[endpoint] = view
    app.extensions["rate_limiter"] = limiter
    return limiter
