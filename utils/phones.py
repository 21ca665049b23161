"""Phone numbers as guests type them, turned into the digits wa.me and the dedupe key use."""

import re

# A Peruvian mobile as written at home: nine digits starting with 9.
PERU_MOBILE = re.compile(r"^9[0-9]{8}$")
# Anything else must be international: `+` and 8 to 15 digits (E.164).
INTERNATIONAL = re.compile(r"^\+[0-9]{8,15}$")
# What people put between digits: spaces, dashes, dots, brackets.
SEPARATORS = re.compile(r"[\s\-.()]")
PERU_COUNTRY_CODE = "51"

PHONE_RULE = "a Peruvian mobile (9XXXXXXXX) or + and 8 to 15 digits"


def normalize_phone(value: str) -> str | None:
    """The number as digits with the country code (`51987654321`), or None when it is not one.

    `987 654 321` and `+51 987-654-321` both give `51987654321`.
    """
    compact = SEPARATORS.sub("", value.strip())
    if PERU_MOBILE.match(compact):
        return PERU_COUNTRY_CODE + compact
    if INTERNATIONAL.match(compact):
        return compact[1:]
    return None
