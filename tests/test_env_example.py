"""`.env.example` lists every variable the configuration reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_lists_every_variable_config_reads():
    read = set(
        re.findall(r'env_(?:str|int|bool|list)\("([A-Z_]+)"', (ROOT / "config.py").read_text())
    )
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read - listed == set()
