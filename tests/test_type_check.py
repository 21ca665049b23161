"""mypy, configured in pyproject.toml, checks the api, services, models and utils layers; `make
lint` runs it (in CI before the suites), so the suites do not run it a second and third time."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_type_checker_covers_every_layer_of_the_application():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]

    assert set(config["files"]) == {"api", "services", "models", "utils"}
    assert config["check_untyped_defs"] is True
