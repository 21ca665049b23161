"""Absolute URLs of an invitation's short links (docs/guest-side.md, "Links")."""

from utils.media import public_base_url

SHORT_LINK_PATH = "/r"


def short_link_url(code: str) -> str:
    return f"{public_base_url()}{SHORT_LINK_PATH}/{code}"
