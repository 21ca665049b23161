"""E-mail addresses as identity and lookups spell them, and the SPA links e-mails carry."""

import unicodedata

from flask import current_app


def normalize_email(value: str) -> str:
    """Trimmed, lower-cased and NFC-composed: `JOSE@x.pe` is `jose@x.pe`, `jóse@x.pe` is not.

    Compared byte for byte afterwards (docs/accounts-and-security.md, "E-mail identity"), so an
    accented variant is another address, never the same account.
    """
    return unicodedata.normalize("NFC", value.strip().lower())


def spa_link(path_setting: str, suffix: str = "") -> str:
    """The SPA page a setting names (`FRONTEND_MY_INVITATIONS_PATH`), under FRONTEND_URL."""
    config = current_app.config
    return f"{config['FRONTEND_URL'].rstrip('/')}{config[path_setting]}{suffix}"
