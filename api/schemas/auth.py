"""Accounts: registration, login, tokens, profile."""

import re

from marshmallow import Schema, ValidationError, fields, post_load, validate

from api.schemas.fields import validate_not_blank
from utils.passwords import password_problems

PHONE = re.compile(r"^\+?[0-9 ()-]{6,30}$")


def validate_password(value: str) -> None:
    problems = password_problems(value)
    if problems:
        raise ValidationError(problems)


def validate_phone(value: str) -> None:
    if not PHONE.match(value):
        raise ValidationError("Must be a phone number such as +51 987 654 321.")


def Email(**kwargs):  # noqa: N802 - reads as a field type
    return fields.Email(validate=validate.Length(max=255), **kwargs)


def Name(**kwargs):  # noqa: N802
    return fields.String(validate=[validate.Length(min=1, max=100), validate_not_blank], **kwargs)


def Phone(**kwargs):  # noqa: N802
    return fields.String(validate=validate_phone, allow_none=True, **kwargs)


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
    password = fields.String(required=True, validate=validate_password, load_only=True)
    first_name = Name(required=True)
    last_name = Name(required=True)
    phone = Phone()

    @post_load
    def normalize(self, data, **kwargs):
        data["email"] = data["email"].strip().lower()
        data["first_name"] = data["first_name"].strip()
        data["last_name"] = data["last_name"].strip()
        return data


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(max=255))
    # No policy here: an old password that breaks today's rules must still log in.
    password = fields.String(required=True, validate=validate.Length(max=1024))


class LogoutSchema(Schema):
    refresh_token = fields.String(validate=validate.Length(max=4096))


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()


class SessionSchema(TokenPairSchema):
    user = fields.Nested(UserSchema)


class UserEnvelopeSchema(Schema):
    user = fields.Nested(UserSchema)


class ChangePasswordSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=1024))
    new_password = fields.String(required=True, validate=validate_password)


class ForgotPasswordSchema(Schema):
    email = Email(required=True)


class ResetPasswordSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate_password)


class ProfileUpdateSchema(Schema):
    first_name = Name()
    last_name = Name()
    phone = Phone()


class DeleteAccountSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(max=1024))


class MessageSchema(Schema):
    message = fields.String()
