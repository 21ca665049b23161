"""Absolute URLs of an invitation's short links (README, "Invitations")."""

from flask import current_app, has_request_context, request

from utils.media import local_app_url

SHORT_LINK_PATH = "/r"


def public_base_url() -> str:
    """PUBLIC_BASE_URL; else the host the request came to; else where `make run` serves."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return local_app_url()


def short_link_url(code: str) -> str:
    return f"{public_base_url()}{SHORT_LINK_PATH}/{code}"
