"""The figures of one `make bench` run, and the report that gathers them into bench/RESULTS.md.

Each benchmark opens a `Results`, records every figure it prints with `add()` (its value and
unit; the baseline it is compared with, measured in the same run, and the ratio; a target
when it has one) and calls `save()`: a JSON fragment `<bench>.json` lands in
BENCH_RESULTS_DIR (default instance/bench-results/, which git ignores). Then

    .venv/bin/python -m bench.results "make bench"

writes bench/RESULTS.md: the machine (CPU, cores, RAM, OS, Python, MariaDB, Redis, wrk,
nginx), the date (UTC), the commit (plus "dirty" when the tree has changes), the command,
and one table per benchmark. `make bench` empties the folder first, runs every benchmark
and then the report, so every figure of RESULTS.md comes from one run.

BENCH_QUICK=1 makes every benchmark tiny (about a second per measurement, a few rows): it
checks that the whole chain works, and RESULTS.md then says in its first lines that its
figures mean nothing.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_MD = ROOT / "bench" / "RESULTS.md"
# The order of RESULTS.md, and the benchmarks a complete run must have recorded.
BENCHMARKS = (
    "login_latency",
    "api_latency",
    "http_overhead",
    "image_pipeline",
    "guest_page",
    "admin_stats",
)
# Taken when a benchmark imports this module, at its start: its duration and the load it met.
PROCESS_STARTED = time.time()
LOAD_AT_START = os.getloadavg()
OPERATORS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


def quick() -> bool:
    """BENCH_QUICK=1: tiny durations and row counts, to check the chain and nothing more."""
    return os.environ.get("BENCH_QUICK", "").strip() not in ("", "0", "false", "no")


def setting(name: str, full: int, quick_value: int) -> int:
    """An integer setting: the environment's `name` when set, else the full or quick value."""
    value = os.environ.get(name, "").strip()
    if value:
        return int(value)
    return quick_value if quick() else full


def results_dir() -> Path:
    return Path(os.environ.get("BENCH_RESULTS_DIR") or ROOT / "instance" / "bench-results")


def git(*args: str) -> str | None:
    """A read-only git command's output (no optional locks: the index is not refreshed)."""
    try:
        return subprocess.run(  # noqa: S603 - fixed arguments
            ["git", "--no-optional-locks", *args],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def commit() -> str:
    head = git("rev-parse", "--short", "HEAD")
    if head is None:
        return "unknown"
    status = git("status", "--porcelain")
    return f"{head} (dirty)" if status else head


class Results:
    """The figures of one benchmark, saved as one JSON fragment."""

    def __init__(self, bench: str, title: str):
        self.bench = bench
        self.title = title
        self.started = PROCESS_STARTED
        self.load = LOAD_AT_START
        self.figures: list[dict] = []
        self.notes: list[str] = []
        self.settings: dict[str, object] = {}

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        low: float | None = None,
        high: float | None = None,
        baseline: str | None = None,
        baseline_value: float | None = None,
        ratio: float | None = None,
        ratio_low: float | None = None,
        ratio_high: float | None = None,
        target: tuple[str, float] | None = None,
        target_on: str | None = None,
        note: str = "",
    ) -> dict:
        """One figure. `ratio` is value / baseline_value unless given (a median of per-round
        ratios, say); `target` is (operator, limit) on the ratio when there is one, else on
        the value (`target_on` "value" or "ratio" chooses)."""
        if ratio is None and baseline_value:
            ratio = value / baseline_value
        met = None
        if target is not None:
            operator, limit = target
            target_on = target_on or ("ratio" if ratio is not None else "value")
            subject = ratio if target_on == "ratio" else value
            met = bool(OPERATORS[operator](subject, limit))
        figure = {
            "name": name,
            "value": value,
            "unit": unit,
            "low": low,
            "high": high,
            "baseline": baseline,
            "baseline_value": baseline_value,
            "ratio": ratio,
            "ratio_low": ratio_low,
            "ratio_high": ratio_high,
            "target": list(target) if target else None,
            "target_on": target_on,
            "met": met,
            "note": note,
        }
        self.figures.append(figure)
        return figure

    def note(self, text: str) -> None:
        self.notes.append(text)

    def save(self) -> Path:
        folder = results_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fragment = {
            "bench": self.bench,
            "title": self.title,
            "started_utc": datetime.fromtimestamp(self.started, UTC).isoformat(timespec="seconds"),
            "seconds": round(time.time() - self.started, 1),
            "load_at_start": [round(value, 2) for value in self.load],
            "quick": quick(),
            "commit": commit(),
            "settings": self.settings,
            "figures": self.figures,
            "notes": self.notes,
        }
        path = folder / f"{self.bench}.json"
        partial = path.with_suffix(".json.part")
        partial.write_text(json.dumps(fragment, indent=2, ensure_ascii=False) + "\n")
        partial.replace(path)
        return path


# ---------------------------------------------------------------------------- the report


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _version(command: list[str], pattern: str = r"[\d.]+") -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            command, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(pattern, done.stdout + done.stderr)
    return found.group(0) if found else None


def mariadb_version() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = os.environ.get("BENCH_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
    try:
        engine = create_engine(make_url(server), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            version = connection.execute(text("SELECT VERSION()")).scalar_one()
        engine.dispose()
        return str(version)
    except Exception:  # noqa: BLE001 - reported, not fatal
        return "not reachable"


def redis_version() -> str:
    import redis

    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        return str(redis.Redis.from_url(url, socket_timeout=2).info("server")["redis_version"])
    except redis.RedisError:
        return "not reachable"


def machine() -> list[tuple[str, str]]:
    cpuinfo = _read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    memory = re.search(r"^MemTotal:\s+(\d+) kB", _read("/proc/meminfo"), re.M)
    release = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', _read("/etc/os-release"), re.M)
    return [
        ("CPU", model.group(1).strip() if model else platform.processor() or "unknown"),
        ("cores", str(os.cpu_count())),
        ("RAM", f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "unknown"),
        (
            "OS",
            f"{release.group(1) if release else platform.system()}, kernel {platform.release()}",
        ),  # fmt: skip
        ("Python", platform.python_version()),
        ("MariaDB", mariadb_version()),
        ("Redis", redis_version()),
        ("wrk", _version(["wrk", "--version"], r"\d[\w.+~-]*") or "not installed"),
        ("nginx", _version(["nginx", "-v"], r"nginx/[\d.]+") or "not installed"),
    ]


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _with_range(value, low, high, unit: str = "") -> str:
    text = _number(value) + (f" {unit}" if unit else "")
    if low is not None and high is not None:
        text += f" ({_number(low)}–{_number(high)})"
    return text


def _target(figure: dict) -> tuple[str, str]:
    if not figure.get("target"):
        return "", ""
    operator, limit = figure["target"]
    subject = "ratio" if figure.get("target_on") == "ratio" else "value"
    unit = "" if subject == "ratio" else f" {figure['unit']}"
    verdict = "met" if figure["met"] else "**not met**"
    return f"{subject} {operator} {_number(limit)}{unit}", verdict


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(fragment: dict) -> list[str]:
    lines = [
        "| figure | value | baseline (same run) | baseline value | ratio | target | met |",
        "|---|---:|---|---:|---:|---|---|",
    ]
    for figure in fragment["figures"]:
        target, verdict = _target(figure)
        baseline_value = ""
        if figure.get("baseline_value") is not None:
            baseline_value = f"{_number(figure['baseline_value'])} {figure['unit']}"
        name = figure["name"] + (f" — {figure['note']}" if figure.get("note") else "")
        cells = [
            name,
            _with_range(figure["value"], figure.get("low"), figure.get("high"), figure["unit"]),
            figure.get("baseline") or "",
            baseline_value,
            _with_range(figure.get("ratio"), figure.get("ratio_low"), figure.get("ratio_high")),
            target,
            verdict,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return lines


def render(fragments: dict[str, dict], command: str) -> str:
    now = datetime.now(UTC)
    quick_run = any(fragment.get("quick") for fragment in fragments.values())
    missing = [name for name in BENCHMARKS if name not in fragments]
    commits = sorted({fragment.get("commit", "unknown") for fragment in fragments.values()})
    total = sum(fragment.get("seconds", 0) for fragment in fragments.values())
    lines = ["# Benchmark results", ""]
    if quick_run:
        lines += [
            "> **Quick mode (BENCH_QUICK=1): tiny durations and row counts. These figures only",
            "> show that every benchmark runs; they are not measurements.**",
            "",
        ]
    lines += [
        f"Written by `python -m bench.results` at {now:%Y-%m-%d %H:%M} UTC. Every ratio is the",
        "figure over its baseline, both measured in this run on this machine (the baseline",
        "column names it); a range in parentheses is the lowest and highest of the rounds.",
        "",
        "| | |",
        "|---|---|",
    ]
    for label, value in machine():
        lines.append(f"| {label} | {_cell(value)} |")
    starts = sorted(fragment["started_utc"] for fragment in fragments.values())
    durations = ", ".join(
        f"{name} {fragment['seconds']:.0f} s" for name, fragment in fragments.items()
    )
    lines += [
        f"| date (UTC) | {now:%Y-%m-%d %H:%M}; first benchmark started {starts[0]} |",
        f"| commit | {', '.join(commits)} |",
        f"| command | `{command}` |",
        f"| duration | {total / 60:.1f} min of benchmarks ({durations}) |",
        "",
    ]
    if len(commits) > 1:
        lines += ["**The fragments come from different commits: rerun `make bench`.**", ""]
    if missing:
        lines += [
            f"**Not recorded in this run: {', '.join(missing)}** (it failed or was skipped; "
            "see the console of the run).",
            "",
        ]
    for name in [*BENCHMARKS, *sorted(set(fragments) - set(BENCHMARKS))]:
        fragment = fragments.get(name)
        if fragment is None:
            continue
        load = ", ".join(f"{value:.2f}" for value in fragment.get("load_at_start", []))
        lines += [
            f"## {fragment['title']}",
            "",
            f"`bench/{name}.py`; started {fragment['started_utc']}, took "
            f"{fragment['seconds']:.0f} s; load average at start {load}.",
            "",
        ]
        if fragment.get("settings"):
            settings = ", ".join(f"{key} {value}" for key, value in fragment["settings"].items())
            lines += [f"Settings: {settings}.", ""]
        lines += table(fragment)
        lines.append("")
        for note in fragment.get("notes", []):
            lines += [note, ""]
    return "\n".join(lines).rstrip() + "\n"


def load_fragments() -> dict[str, dict]:
    fragments = {}
    folder = results_dir()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        fragment = json.loads(path.read_text())
        fragments[fragment["bench"]] = fragment
    return fragments


def command_line(command: str) -> str:
    """The command, with the BENCH_* settings it ran under (passwords hidden)."""
    settings = []
    for key in sorted(os.environ):
        if key.startswith("BENCH_") and key not in ("BENCH_RESULTS_DIR", "BENCH_RESULTS_MD"):
            value = re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", os.environ[key])
            settings.append(f"{key}={value}")
    return " ".join([*settings, command])


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "python -m bench.results"
    fragments = load_fragments()
    if not fragments:
        print(f"bench.results: no fragments in {results_dir()}; run `make bench`.", file=sys.stderr)
        return 1
    output = Path(os.environ.get("BENCH_RESULTS_MD") or RESULTS_MD)
    output.write_text(render(fragments, command_line(command)))
    missing = [name for name in BENCHMARKS if name not in fragments]
    shown = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    gaps = f", missing {', '.join(missing)}" if missing else ""
    print(f"wrote {shown}: {len(fragments)} benchmarks{gaps}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
