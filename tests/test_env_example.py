"""The example settings files list every variable the configuration reads, and the deploy kit
(systemd units, crontab) loads deploy/invitaciones.env.example the way the app does."""

import getpass
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DEPLOY_EXAMPLE = DEPLOY / "invitaciones.env.example"
INSTALLED_ENV_FILE = "/etc/invitaciones.env"
RELEASE = "/srv/invitaciones/current"
UNITS = sorted(DEPLOY.glob("invitaciones-*.service"))
# Prints what a process started by a unit or a cron line sees: its settings and environment.
PROBE = """
import json, os, sys
sys.path.insert(0, os.getcwd())
from app import create_app
app = create_app()
print(json.dumps({"config": {k: str(v) for k, v in app.config.items()}, "env": dict(os.environ)}))
"""
pytestmark = pytest.mark.slow


def read_by_config() -> set[str]:
    return set(
        re.findall(r'env_(?:str|int|bool|list)\("([A-Z_]+)"', (ROOT / "config.py").read_text())
    )


def test_env_example_lists_every_variable_config_reads():
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read_by_config() - listed == set()


def test_the_production_example_sets_or_shows_every_variable_but_the_test_suites():
    listed = set(re.findall(r"^(?:# )?([A-Z_]+)=", DEPLOY_EXAMPLE.read_text(), re.MULTILINE))
    needed = {name for name in read_by_config() if not name.startswith("TEST_")}
    needed -= {"ALLOW_HTTP_PUBLIC_BASE_URL"}  # for `make serve` only, never in production
    assert needed - listed == set()


def test_the_production_example_holds_production_values():
    values = dotenv_values(DEPLOY_EXAMPLE)
    site = (DEPLOY / "nginx-invitaciones.conf").read_text()
    assert values["APP_ENV"] == "production"
    assert values["PUBLIC_BASE_URL"].startswith("https://")
    assert values["DATABASE_URL"].startswith("mysql+pymysql://")
    assert values["TRUSTED_PROXIES"] == "1"
    assert values["FLASK_DEBUG"] == "0"
    assert "ALLOW_HTTP_PUBLIC_BASE_URL" not in values
    # nginx serves local media from the folder the app writes them to.
    assert f"alias {values['MEDIA_ROOT']}/;" in site
    assert f"server_name {values['PUBLIC_BASE_URL'].removeprefix('https://')};" in site


def installed_example(folder: Path, source: Path = DEPLOY_EXAMPLE, **overrides: str) -> Path:
    """`source` as an operator installs it, with this test's database, folders and secrets."""
    lines = source.read_text().splitlines()
    for name, value in overrides.items():
        pattern = re.compile(rf"^(# )?{name}=.*$")
        found = [i for i, line in enumerate(lines) if pattern.match(line)]
        for i in found:
            lines[i] = f"{name}={value}"
        if not found:
            lines.append(f"{name}={value}")
    path = folder / "invitaciones.env"
    path.write_text("\n".join(lines) + "\n")
    return path


def working_overrides(folder: Path) -> dict[str, str]:
    (folder / "media").mkdir(exist_ok=True)
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
        "SECRET_KEY": "k7Qv2n9XbR4sLw8ZpT1mYc6HdJ3fGa5E-deploy-kit",
        "JWT_SECRET": "Zr8Lm2Qx7Vb4Nc9Ks1Hw6Pd3Jt5Fy0Ga-deploy-kit",
        "REDIS_URL": "",
        "MEDIA_ROOT": str(folder / "media"),
        "IZIPAY_PASSWORD": "",
        "IZIPAY_HMAC_KEY": "",
        "MAIL_SERVER": "",
        "MAIL_PASSWORD": "",
    }


def localised(text: str, folder: Path, env_file: Path) -> str:
    return (
        text.replace(INSTALLED_ENV_FILE, str(env_file))
        .replace(RELEASE, str(ROOT))
        .replace("/var/backups/invitaciones", str(folder / "backups"))
        .replace("/run/invitaciones", str(folder / "run"))
    )


def unit_environment(unit: Path, folder: Path, env_file: Path) -> dict[str, str]:
    """What systemd gives the unit's processes: its Environment= lines, then every
    EnvironmentFile= over them (systemd.exec: settings from those files override Environment=,
    wherever the lines stand)."""
    assigned: dict[str, str] = {}
    files: list[str] = []
    for line in localised(unit.read_text(), folder, env_file).splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            for assignment in shlex.split(value):
                name, _, setting = assignment.partition("=")
                assigned[name] = setting
        elif key == "EnvironmentFile":
            files.append(value.removeprefix("-"))
    for path in files:
        assigned.update({name: value or "" for name, value in dotenv_values(path).items()})
    return assigned


def probe(folder: Path, env: dict[str, str], command: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own probe under the kit's environment
        ["/bin/sh", "-c", command],
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "LOGNAME": getpass.getuser(), **env},
        cwd=folder, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_a_unit_runs_production_even_when_the_env_file_says_development(unit, tmp_path):
    # The operator's mistake of issue 20: the development example installed as the env file.
    env_file = installed_example(tmp_path, ROOT / ".env.example")
    (tmp_path / "probe.py").write_text(PROBE)
    env = unit_environment(unit, tmp_path, env_file)

    started = probe(tmp_path, env, f"cd {ROOT} && {sys.executable} {tmp_path / 'probe.py'}")

    assert started.returncode != 0, "started with the development example's settings"
    assert "Refusing to start" in started.stderr
    assert "DATABASE_URL (or DB_HOST) is missing" in started.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_a_unit_gets_production_settings_from_the_shipped_example(unit, tmp_path):
    env_file = installed_example(tmp_path, **working_overrides(tmp_path))
    (tmp_path / "probe.py").write_text(PROBE)
    env = unit_environment(unit, tmp_path, env_file)

    started = probe(tmp_path, env, f"cd {ROOT} && {sys.executable} {tmp_path / 'probe.py'}")

    assert started.returncode == 0, started.stderr
    seen = json.loads(started.stdout.splitlines()[-1])
    assert seen["config"]["ENV_NAME"] == "production"
    assert seen["config"]["RATELIMIT_DEFAULT"] == "300 per minute"
    assert seen["config"]["PUBLIC_BASE_URL"] == dotenv_values(DEPLOY_EXAMPLE)["PUBLIC_BASE_URL"]


def crontab(folder: Path, env_file: Path) -> tuple[dict[str, str], list[str]]:
    """deploy/crontab read as cron reads it: `NAME = value` lines (one pair of quotes around
    the value dropped) and the commands after the five time fields, each run by SHELL."""
    env: dict[str, str] = {}
    commands: list[str] = []
    for line in localised((DEPLOY / "crontab").read_text(), folder, env_file).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assignment = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if assignment:
            value = assignment.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            env[assignment.group(1)] = value
        else:
            commands.append(re.split(r"\s+", line, maxsplit=5)[5])
    assert "%" not in "".join(commands), "cron turns % into a newline"
    return env, commands


def test_every_crontab_command_runs_with_the_shipped_examples_values(tmp_path):
    env_file = installed_example(tmp_path, **working_overrides(tmp_path))
    env, commands = crontab(tmp_path, env_file)
    assert commands
    upgrade = probe(tmp_path, env, f"cd {ROOT} && .venv/bin/flask --app app db upgrade")
    assert upgrade.returncode == 0, upgrade.stderr

    for command in commands:
        ran = probe(tmp_path, env, command)
        assert ran.returncode == 0, f"{command}\n{ran.stderr}"
        assert "not found" not in ran.stderr, f"{command}\n{ran.stderr}"
    assert list((tmp_path / "backups").glob("invitaciones-backup-*.tar.gz"))

    # The same lines with `flask` swapped for a probe: each sees every value of the file,
    # those with spaces too (RATELIMIT_DEFAULT=300 per minute), and production's settings.
    (tmp_path / "probe.py").write_text(PROBE)
    env["FLASK"] = f"{sys.executable} {tmp_path / 'probe.py'}"
    expected = dotenv_values(env_file)
    for command in commands:
        ran = probe(tmp_path, env, command.split(" && find ")[0])
        assert ran.returncode == 0, f"{command}\n{ran.stderr}"
        assert "not found" not in ran.stderr, f"{command}\n{ran.stderr}"
        seen = json.loads(ran.stdout.splitlines()[-1])
        assert seen["config"]["ENV_NAME"] == "production"
        assert seen["config"]["RATELIMIT_DEFAULT"] == "300 per minute"
        assert seen["config"]["RATELIMIT_LOGIN_ACCOUNT"] == "20 per 15 minutes"
        assert {name: seen["env"].get(name) for name in expected} == expected
