"""Control characters in user text: what single-line and multi-line fields may hold."""

import re

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators (a line break to
# JavaScript, JSON-in-HTML, iCalendar and mail readers alike). Written with escapes that
# Python's `re` and ECMAScript read the same, so the OpenAPI patterns below are both.
CONTROL_RANGES = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
# Multi-line text may hold line breaks (\n; \r\n, \r, U+2028 and U+2029 become \n).
MULTILINE_CONTROL_RANGES = r"\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f"

SINGLE_LINE_PATTERN = rf"^[^{CONTROL_RANGES}]*$"
MULTILINE_PATTERN = rf"^[^{MULTILINE_CONTROL_RANGES}]*$"

CONTROL = re.compile(f"[{CONTROL_RANGES}]")
CONTROL_RUN = re.compile(f"[{CONTROL_RANGES}]+")
MULTILINE_CONTROL = re.compile(f"[{MULTILINE_CONTROL_RANGES}]")
LINE_BREAK = re.compile("\r\n|[\r\u2028\u2029]")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def normalize_line_breaks(text: str) -> str:
    """Every line break as `\\n`."""
    return LINE_BREAK.sub("\n", text)


def has_control_besides_line_breaks(text: str) -> bool:
    return MULTILINE_CONTROL.search(normalize_line_breaks(text)) is not None


def one_line(text: str) -> str:
    """`text` with each run of control characters (line breaks too) as one space: for a
    header or a calendar name built from text stored before control characters were refused."""
    return CONTROL_RUN.sub(" ", text).strip()


def without_controls(text: str) -> str:
    """`text` with line breaks as `\\n` and every other control character dropped."""
    return MULTILINE_CONTROL.sub("", normalize_line_breaks(text))
