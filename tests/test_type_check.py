"""mypy, configured in pyproject.toml, finds no error in the api, services, models and utils
layers (`make lint` runs the same check in CI)."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_the_type_checker_covers_every_layer_of_the_application():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]

    assert set(config["files"]) == {"api", "services", "models", "utils"}
    assert config["check_untyped_defs"] is True


def test_mypy_finds_no_type_error_in_the_application():
    checked = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("Success: no issues found"), checked.stdout
