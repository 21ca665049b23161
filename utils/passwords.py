"""bcrypt hashing; the cost comes from BCRYPT_ROUNDS (12 in production, the minimum in tests)."""

import bcrypt
from flask import current_app

MAX_PASSWORD_BYTES = 72  # bcrypt's limit: bcrypt 5 raises beyond it instead of truncating


def hash_password(password: str) -> str:
    rounds = current_app.config["BCRYPT_ROUNDS"]
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()


def check_password(password: str, password_hash: str) -> bool:
    encoded = password.encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    return bcrypt.checkpw(encoded, password_hash.encode())


MIN_PASSWORD_BYTES = 8


def password_problems(password: str) -> list[str]:
    """What makes `password` unacceptable (empty when it is fine)."""
    problems = []
    size = len(password.encode())
    if size < MIN_PASSWORD_BYTES:
        problems.append(f"Must be at least {MIN_PASSWORD_BYTES} characters long.")
    if size > MAX_PASSWORD_BYTES:
        problems.append(f"Must be at most {MAX_PASSWORD_BYTES} bytes long (accents count double).")
    if not any(char.isalpha() for char in password):
        problems.append("Must contain a letter.")
    if not any(char.isdigit() for char in password):
        problems.append("Must contain a digit.")
    return problems
