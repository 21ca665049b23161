"""The one spelling of an e-mail address that identity, lookups and rate-limit keys use."""

import unicodedata


def normalize_email(value: str) -> str:
    """Trimmed, lower-cased and NFC-composed: `JOSE@x.pe` is `jose@x.pe`, `jóse@x.pe` is not.

    Compared byte for byte afterwards (README, "Accounts and security"), so an accented
    variant is another address, never the same account.
    """
    return unicodedata.normalize("NFC", value.strip().lower())
