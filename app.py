"""Application factory."""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from api import (
    admin,
    auth,
    cart,
    claims,
    coupons,
    invitation_editor,
    invitation_media,
    invitation_responses,
    invitation_urls,
    invitations,
    media,
    orders,
    payments,
    plans,
    public,
    redirect,
    system,
    templates,
    testimonials,
    users,
)
from api.errors import register_error_handlers
from api.openapi import init_openapi
from api.security import register_jwt_handlers
from config import CONFIGS, engine_options
from extensions import api, cors, db, jwt, ma, migrate
from utils.db import close_sessions_despite_lost_connections, enable_sqlite_foreign_keys
from utils.jobs import init_celery
from utils.logging_config import configure_logging
from utils.metrics import register_metrics_endpoint
from utils.page_cache import init_page_cache
from utils.rate_limits import init_rate_limits
from utils.redis_client import init_redis
from utils.request_hooks import register_request_hooks
from utils.routing import CONVERTERS
from utils.safe_json import SafeJSONProvider

BLUEPRINTS = (
    system.blp,
    auth.blp,
    users.blp,
    plans.blp,
    templates.blp,
    cart.blp,
    coupons.blp,
    claims.blp,
    orders.blp,
    admin.blp,
    payments.blp,
    invitations.blp,
    invitation_editor.blp,
    invitation_media.blp,
    invitation_urls.blp,
    invitation_responses.blp,
    public.blp,
    testimonials.blp,
)


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    config_name = config_name or os.environ.get("APP_ENV", "development")
    config_class = CONFIGS[config_name]
    app = Flask(__name__, instance_relative_config=True)
    app.json = SafeJSONProvider(app)
    app.url_map.converters.update(CONVERTERS)
    app.config.from_object(config_class)
    app.config.update(overrides or {})
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    config_class.check(app.config)
    os.makedirs(app.instance_path, exist_ok=True)

    configure_logging(app)
    register_request_hooks(app)
    register_proxy_fix(app)
    register_extensions(app)
    register_blueprints(app)
    init_rate_limits(app)
    register_error_handlers(app)
    register_metrics_endpoint(app)
    register_commands(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    # X-Forwarded-For is trusted only when the operator says how many proxies set it. The
    # forwarded host is not: absolute URLs come from PUBLIC_BASE_URL, never from a header.
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def register_extensions(app: Flask) -> None:
    import models  # noqa: F401 - registers every table on the metadata

    enable_sqlite_foreign_keys()
    db.init_app(app)
    close_sessions_despite_lost_connections(app)
    ma.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    jwt.init_app(app)
    register_jwt_handlers(jwt)
    init_redis(app)
    init_page_cache(app)
    init_celery(app)
    cors.init_app(
        app,
        resources={r"/*": {"origins": app.config["CORS_ORIGINS"]}},
        allow_headers=[
            "Authorization",
            "Content-Type",
            "If-Match",
            "If-None-Match",
            "Idempotency-Key",
            "X-Request-ID",
        ],
        expose_headers=[
            "ETag",
            "X-Request-ID",
            "Retry-After",
            "Idempotent-Replayed",
            "Content-Disposition",
        ],
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        supports_credentials=False,
        max_age=600,
    )


def register_blueprints(app: Flask) -> None:
    init_openapi(api, app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(system.docs_assets_blp)
    app.register_blueprint(media.blp)
    app.register_blueprint(redirect.blp)


def register_commands(app: Flask) -> None:
    from commands import register_commands as register_operator_commands
    from init_db import register_seed_commands

    register_seed_commands(app)
    register_operator_commands(app)
