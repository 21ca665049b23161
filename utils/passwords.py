"""bcrypt hashing and the password rules (docs/accounts-and-security.md, "Passwords"; the OpenAPI
document states them).

The cost comes from BCRYPT_ROUNDS (12 in production, the minimum in tests).
"""

import re

import bcrypt
from flask import current_app

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit: bcrypt 5 raises beyond it instead of truncating
# Explicit ranges rather than \w or \d, so that the pattern in the OpenAPI document means the
# same to every regex engine (ECMA-262 for clients, Python here): ASCII and accented Latin
# letters (á, é, ñ, ü...), ASCII digits.
LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
DIGIT = "0-9"
PASSWORD_PATTERN = f"^(?=[\\s\\S]*[{LETTER}])(?=[\\s\\S]*[{DIGIT}])"
PASSWORD_DESCRIPTION = (
    f"{MIN_PASSWORD_CHARS} to {MAX_PASSWORD_BYTES} characters and at most {MAX_PASSWORD_BYTES} "
    "bytes in UTF-8 (an accented letter takes 2), with a letter (a-z, accented ones too) "
    "and a digit (0-9)."
)

TOO_MANY_BYTES = f"Must be at most {MAX_PASSWORD_BYTES} bytes long (accents count double)."

_HAS_LETTER = re.compile(f"[{LETTER}]")
_HAS_DIGIT = re.compile(f"[{DIGIT}]")


def hash_password(password: str) -> str:
    rounds = current_app.config["BCRYPT_ROUNDS"]
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()


def check_password(password: str, password_hash: str) -> bool:
    encoded = password.encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    return bcrypt.checkpw(encoded, password_hash.encode())


def password_problems(password: str) -> list[str]:
    """What makes `password` unacceptable (empty when it is fine)."""
    problems = []
    if len(password) < MIN_PASSWORD_CHARS:
        problems.append(f"Must be at least {MIN_PASSWORD_CHARS} characters long.")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        problems.append(TOO_MANY_BYTES)
    if not _HAS_LETTER.search(password):
        problems.append("Must contain a letter.")
    if not _HAS_DIGIT.search(password):
        problems.append("Must contain a digit.")
    return problems
