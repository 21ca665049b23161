"""Production refuses to start with a secret anyone could know (an example, a placeholder),
without a database of its own or without an https public address."""

from pathlib import Path

import pytest

from app import create_app
from config import FALLBACK_DATABASE_URL, SECRET_SETTINGS, database_url, example_secret_values

ROOT = Path(__file__).resolve().parents[1]
DEPLOY_EXAMPLE = ROOT / "deploy" / "invitaciones.env.example"
SAFE = {
    "SECRET_KEY": "k7Qv2n9XbR4sLw8ZpT1mYc6HdJ3fGa5E",
    "JWT_SECRET_KEY": "Zr8Lm2Qx7Vb4Nc9Ks1Hw6Pd3Jt5Fy0Ga",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "PUBLIC_BASE_URL": "https://api.invitaciones.example",
}


def start_production(**overrides):
    return create_app("production", {**SAFE, **overrides})


def env_example_value(variable: str) -> str:
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith(f"{variable}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{variable} is not in .env.example")


def test_production_starts_with_strong_secrets_of_its_own():
    app = start_production()
    assert app.config["ENV_NAME"] == "production"


@pytest.mark.parametrize(
    "key, variable",
    [("SECRET_KEY", "SECRET_KEY"), ("JWT_SECRET_KEY", "JWT_SECRET")],
)
def test_production_refuses_the_env_example_value_of_each_signing_key(key, variable):
    example = env_example_value(variable)
    assert example, f".env.example should show an example {variable}"

    with pytest.raises(RuntimeError, match=rf"{variable} is an example or placeholder value"):
        start_production(**{key: example})


def test_production_refuses_every_secret_value_written_in_env_example():
    examples = example_secret_values(ROOT / ".env.example")
    assert examples, "the signing keys' examples at least"
    for key, variable in SECRET_SETTINGS.items():
        for example in examples:
            with pytest.raises(RuntimeError, match=variable):
                start_production(**{key: example})


@pytest.mark.parametrize(
    "placeholder",
    [
        "dev-secret-change-me",
        "changeme",
        "CHANGEME",
        "change-me-please-to-something-long-enough",
        "secret",
        "Secret",
        "password",
        "your-secret-key",
    ],
)
@pytest.mark.parametrize("key, variable", list(SECRET_SETTINGS.items()))
def test_production_refuses_well_known_placeholders_naming_the_variable(key, variable, placeholder):
    with pytest.raises(RuntimeError, match=rf"{variable} is an example or placeholder value"):
        start_production(**{key: placeholder})


@pytest.mark.parametrize(
    "key, variable",
    [("SECRET_KEY", "SECRET_KEY"), ("JWT_SECRET_KEY", "JWT_SECRET")],
)
def test_production_refuses_a_signing_key_under_32_bytes(key, variable):
    with pytest.raises(RuntimeError, match=rf"{variable} must be at least 32 bytes"):
        start_production(**{key: "x7Qv2n9XbR4sLw8ZpT1mYc6HdJ3fGa5"})  # 31 bytes

    assert start_production(**{key: "x7Qv2n9XbR4sLw8ZpT1mYc6HdJ3fGa5E"})  # 32 bytes


@pytest.mark.parametrize(
    "key, variable",
    [("SECRET_KEY", "SECRET_KEY"), ("JWT_SECRET_KEY", "JWT_SECRET")],
)
def test_production_refuses_a_missing_signing_key(key, variable):
    with pytest.raises(RuntimeError, match=rf"{variable} is missing"):
        start_production(**{key: None})


def test_optional_secrets_may_stay_unset_in_production():
    app = start_production(IZIPAY_PASSWORD=None, MAIL_PASSWORD=None, FTP_PASSWORD=None)
    assert app.config["MAIL_PASSWORD"] is None


def test_every_problem_is_named_in_one_refusal():
    with pytest.raises(RuntimeError) as refusal:
        start_production(SECRET_KEY="change-me", JWT_SECRET_KEY="short", MAIL_PASSWORD="secret")

    message = str(refusal.value)
    assert "SECRET_KEY is an example or placeholder value" in message
    assert "JWT_SECRET must be at least 32 bytes" in message
    assert "MAIL_PASSWORD is an example or placeholder value" in message


@pytest.mark.parametrize("example", [ROOT / ".env.example", DEPLOY_EXAMPLE])
def test_production_refuses_every_secret_placeholder_of_both_example_files(example):
    examples = example_secret_values(example)
    assert examples
    for key, variable in SECRET_SETTINGS.items():
        for value in examples:
            with pytest.raises(RuntimeError, match=variable):
                start_production(**{key: value})


def test_production_refuses_to_fall_back_to_sqlite_when_no_database_is_set(monkeypatch):
    for variable in ("DATABASE_URL", "DB_HOST"):
        monkeypatch.delenv(variable, raising=False)

    with pytest.raises(RuntimeError, match=r"DATABASE_URL \(or DB_HOST\) is missing"):
        start_production(SQLALCHEMY_DATABASE_URI=database_url())


def test_production_runs_on_the_local_sqlite_file_when_database_url_names_it(monkeypatch):
    # `make serve`: production-like on the database `make migrate` filled.
    monkeypatch.delenv("DB_HOST", raising=False)
    monkeypatch.setenv("DATABASE_URL", FALLBACK_DATABASE_URL)

    app = start_production(SQLALCHEMY_DATABASE_URI=database_url())
    assert app.config["SQLALCHEMY_DATABASE_URI"] == FALLBACK_DATABASE_URL


def test_production_takes_its_database_from_db_host_too(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DB_HOST", "db.internal")

    app = start_production(SQLALCHEMY_DATABASE_URI=database_url())
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("mysql+pymysql://")


@pytest.mark.parametrize(
    "value, problem",
    [
        (None, "PUBLIC_BASE_URL is missing"),
        ("", "PUBLIC_BASE_URL is missing"),
        ("http://api.invitaciones.example", "PUBLIC_BASE_URL must be an https URL"),
        ("https://", "PUBLIC_BASE_URL must be an https URL"),
        ("api.invitaciones.example", "PUBLIC_BASE_URL must be an https URL"),
    ],
)
def test_production_refuses_a_public_base_url_that_is_not_https(value, problem):
    with pytest.raises(RuntimeError, match=problem):
        start_production(PUBLIC_BASE_URL=value)


def test_an_explicit_setting_lets_make_serve_run_production_over_plain_http():
    app = start_production(PUBLIC_BASE_URL="http://127.0.0.1:5000", ALLOW_HTTP_PUBLIC_BASE_URL=True)
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_the_refusal_is_one_line_naming_each_variable(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_HOST", raising=False)

    with pytest.raises(RuntimeError) as refusal:
        start_production(SQLALCHEMY_DATABASE_URI=database_url(), PUBLIC_BASE_URL=None)

    message = str(refusal.value)
    assert "\n" not in message
    assert "DATABASE_URL" in message
    assert "PUBLIC_BASE_URL" in message
