"""Every citation of the documentation points at something that exists: a docs page and its
section cited from code or docs (`docs/guest-side.md, "RSVP"`), a link between pages and its
anchor, a repository path a page names; and the README stays a front door (docs/README.md)."""

import re
import unicodedata
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__", "instance", ".pytest_cache"}
SCANNED_SUFFIXES = {".py", ".md", ".example", ".service", ".toml", ".cfg", ".ini", ".yml", ".yaml"}
SCANNED_NAMES = {"Makefile", "crontab"}
README_MAX_LINES = 200

# A page, optionally with a quoted section: docs/guest-side.md, "RSVP" (whitespace and
# comment markers between the comma and the quote are allowed, as wrapped comments have).
CITATION = re.compile(r'(?<![\w/.-])((?:docs/)[\w.-]+\.md|README\.md)(?:,\s*"([^"]+)")?')
UNQUOTED_SECTION = re.compile(r"(?<![\w/.-])((?:docs/)[\w.-]+\.md|README\.md),\s*\*?[A-Z]")
BARE_README = re.compile(r"\bREADME\b(?!\.md)")
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
BACKTICKED = re.compile(r"`([^`\s]+)`")
HEADING = re.compile(r"^(#{1,6}) +(.+?) *#*$")
BOLD_LEAD = re.compile(r"^\*\*([^*]+?)\.?\*\*")


def scanned_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        parts = set(path.relative_to(root).parts)
        if parts & SKIPPED_DIRS or not path.is_file():
            continue
        if path.suffix in SCANNED_SUFFIXES or path.name in SCANNED_NAMES:
            found.append(path)
    return found


def prose_lines(text: str) -> list[str]:
    """The lines of a markdown text outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = unicodedata.normalize("NFC", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def sections(page: Path) -> frozenset[str]:
    """What a citation may name in a page: each heading, its short form (before `:` or ` (`)
    and each paragraph's bold lead-in (`**Passwords.**`)."""
    names = set()
    for line in prose_lines(page.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if heading:
            title = heading.group(2).strip()
            names.add(title)
            names.add(re.split(r":| \(", title)[0].strip())
            continue
        lead = BOLD_LEAD.match(line)
        if lead:
            names.add(lead.group(1).strip())
    return frozenset(names)


@cache
def anchors(page: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(page.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def flattened(path: Path, text: str) -> str:
    """The text with line breaks and comment markers of wrapped citations removed."""
    if path.suffix != ".md":
        text = re.sub(r"\n[ \t]*#[ \t]?", " ", text)
    return re.sub(r"\s+", " ", text)


def citation_problems(root: Path) -> list[str]:
    problems = []
    for path in scanned_files(root):
        if path == Path(__file__).resolve():
            continue
        name = path.relative_to(root)
        text = flattened(path, path.read_text(encoding="utf-8", errors="replace"))
        for match in CITATION.finditer(text):
            page, section = root / match.group(1), match.group(2)
            if not page.is_file():
                problems.append(f"{name}: cites {match.group(1)}, which does not exist")
            elif section is not None and section not in sections(page):
                problems.append(f'{name}: cites {match.group(1)}, "{section}": no such section')
        for match in UNQUOTED_SECTION.finditer(text):
            problems.append(f"{name}: cites a section of {match.group(1)} without quoting it")
        if path.suffix != ".md":
            for match in BARE_README.finditer(text):
                context = text[max(0, match.start() - 30) : match.end() + 30]
                problems.append(f"{name}: cites the README instead of a docs page: …{context}…")
    return problems


def path_options(candidate: str) -> list[str]:
    """A named path, or the module of a `services/access.get_owned` style name."""
    options = [candidate.rstrip("/")]
    head, _, tail = candidate.rpartition("/")
    if "." in tail:
        options.append(f"{head}/{tail.split('.', 1)[0]}.py")
    return options


def link_problems(root: Path) -> list[str]:
    problems = []
    top_dirs = {entry.name for entry in root.iterdir() if entry.is_dir()} - SKIPPED_DIRS
    for path in scanned_files(root):
        if path.suffix != ".md":
            continue
        name = path.relative_to(root)
        lines = prose_lines(path.read_text(encoding="utf-8"))
        for line in lines:
            for match in MARKDOWN_LINK.finditer(line):
                target = match.group(1)
                if re.match(r"^[a-z]+:", target):
                    continue
                file_part, _, anchor = target.partition("#")
                linked = (path.parent / file_part).resolve() if file_part else path
                if not linked.exists():
                    problems.append(f"{name}: links to {file_part}, which does not exist")
                elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                    problems.append(f"{name}: links to {target}: no such heading")
            for match in BACKTICKED.finditer(line):
                candidate = match.group(1).rstrip(".,:;")
                first = candidate.split("/", 1)[0]
                if "/" not in candidate or first not in top_dirs:
                    continue
                if re.search(r"[<>*{}$…]", candidate):
                    continue
                if not any((root / option).exists() for option in path_options(candidate)):
                    problems.append(f"{name}: names `{candidate}`, which does not exist")
    return problems


def test_every_docs_citation_in_code_and_docs_names_an_existing_page_and_section():
    assert citation_problems(ROOT) == []


def test_every_link_and_repository_path_in_the_docs_exists():
    assert link_problems(ROOT) == []


def test_the_readme_is_a_front_door_of_at_most_200_lines_linking_every_docs_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_MAX_LINES
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name != "README.md":
            assert f"({page.name})" in index, f"docs/README.md does not list {page.name}"
    assert "(docs/README.md)" in readme


def test_a_citation_of_a_missing_section_or_page_is_reported(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guest-side.md").write_text("# Guests\n\n## RSVP\n\n**Links.** x\n")
    (tmp_path / "ok.py").write_text(
        '"""Fine (docs/guest-side.md, "RSVP"; docs/guest-side.md,\n"Links")."""\n'
    )
    (tmp_path / "bad.py").write_text(
        '"""A (docs/guest-side.md, "Gone").\n\nB (docs/missing.md). C (README, Operations)."""\n'
        '# D (docs/guest-side.md,\n# "No such")\n'
    )
    (tmp_path / "docs" / "index.md").write_text(
        "[a](guest-side.md#rsvp) [b](guest-side.md#nope) [c](../nothing.md) `docs/gone.md`\n"
    )

    problems = citation_problems(tmp_path)
    links = link_problems(tmp_path)

    assert [problem for problem in problems if problem.startswith("bad.py")][:3] == [
        'bad.py: cites docs/guest-side.md, "Gone": no such section',
        "bad.py: cites docs/missing.md, which does not exist",
        'bad.py: cites docs/guest-side.md, "No such": no such section',
    ]
    assert problems[3].startswith("bad.py: cites the README instead of a docs page")
    assert problems[4:] == ["docs/index.md: cites docs/gone.md, which does not exist"]
    assert links == [
        "docs/index.md: links to guest-side.md#nope: no such heading",
        "docs/index.md: links to ../nothing.md, which does not exist",
        "docs/index.md: names `docs/gone.md`, which does not exist",
    ]
