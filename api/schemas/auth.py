"""Accounts: registration, login, tokens, profile.

Each rule the server applies is stated in the OpenAPI document too (minLength, maxLength,
pattern), so a request valid by the document is never refused for its shape.
"""

import re

from marshmallow import Schema, ValidationError, fields, post_load, validate

from api.schemas.fields import MAX_EMAIL_LENGTH, Email, NonBlankText, Pattern, Text, UnicodeText
from services.auth import RESET_TOKEN_PATTERN
from utils.emails import normalize_email
from utils.passwords import (
    MAX_PASSWORD_BYTES,
    MIN_PASSWORD_CHARS,
    PASSWORD_DESCRIPTION,
    PASSWORD_PATTERN,
    password_problems,
)

PHONE = re.compile(r"^\+?[0-9 ()-]{6,30}$")
# Enough for any password a person types; longer never matches (bcrypt reads 72 bytes).
MAX_PASSWORD_INPUT = 1024
# What NonBlankText calls blank, so a name is trimmed of exactly that.
ASCII_WHITESPACE = " \t\n\r\f\v"


def validate_password(value: str) -> None:
    problems = password_problems(value)
    if problems:
        raise ValidationError(problems)


def NewPassword(**kwargs):  # noqa: N802
    """A password being set: the rules of utils/passwords.py, stated in the document."""
    return UnicodeText(
        validate=validate_password,
        load_only=True,
        metadata={
            "format": "password",
            "minLength": MIN_PASSWORD_CHARS,
            "maxLength": MAX_PASSWORD_BYTES,
            "pattern": PASSWORD_PATTERN,
            "description": PASSWORD_DESCRIPTION,
        },
        **kwargs,
    )


def GivenPassword(**kwargs):  # noqa: N802
    """A password being checked: no policy, so an old one that breaks today's rules still works."""
    return UnicodeText(
        validate=validate.Length(max=MAX_PASSWORD_INPUT),
        load_only=True,
        metadata={"format": "password"},
        **kwargs,
    )


def Name(**kwargs):  # noqa: N802
    return NonBlankText(100, **kwargs)


def Phone(**kwargs):  # noqa: N802
    return Text(
        validate=Pattern(PHONE, error="Must be a phone number such as +51 987 654 321."),
        allow_none=True,
        **kwargs,
    )


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    phone = fields.String(allow_none=True)
    role = fields.String()
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class RegisterSchema(Schema):
    email = Email(required=True)
    password = NewPassword(required=True)
    first_name = Name(required=True)
    last_name = Name(required=True)
    phone = Phone()

    @post_load
    def normalize(self, data, **kwargs):
        data["email"] = normalize_email(data["email"])
        data["first_name"] = data["first_name"].strip(ASCII_WHITESPACE)
        data["last_name"] = data["last_name"].strip(ASCII_WHITESPACE)
        return data


class LoginSchema(Schema):
    # Any text: an address no account has is the same 401 as a wrong password.
    email = Text(required=True, validate=validate.Length(max=MAX_EMAIL_LENGTH))
    password = GivenPassword(required=True)


class LogoutSchema(Schema):
    # Ignored unless it is a valid refresh token of the caller.
    refresh_token = Text(validate=validate.Length(max=4096))


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String(metadata={"description": "Always `Bearer`."})
    expires_in = fields.Integer(metadata={"description": "Seconds the access token is valid."})
    refresh_expires_in = fields.Integer(
        metadata={"description": "Seconds the refresh token is valid."}
    )


class SessionSchema(TokenPairSchema):
    user = fields.Nested(UserSchema)


class UserEnvelopeSchema(Schema):
    user = fields.Nested(UserSchema)


class ChangePasswordSchema(Schema):
    current_password = GivenPassword(required=True)
    new_password = NewPassword(required=True)


class ForgotPasswordSchema(Schema):
    email = Email(required=True)


class ResetPasswordSchema(Schema):
    token = Text(
        required=True,
        validate=Pattern(RESET_TOKEN_PATTERN, error="The reset link is not valid."),
        metadata={"description": "The `token` of the e-mailed link."},
    )
    new_password = NewPassword(required=True)


class ProfileUpdateSchema(Schema):
    first_name = Name()
    last_name = Name()
    phone = Phone()


class DeleteAccountSchema(Schema):
    password = GivenPassword(required=True)


class MessageSchema(Schema):
    message = fields.String()
