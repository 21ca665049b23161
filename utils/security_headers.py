"""Security headers on every response (docs/api-conventions.md, "API conventions")."""

from werkzeug.datastructures import Headers

API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
)
DOCS_PREFIX = "/api/docs"
COMMON_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def security_headers(hsts: bool) -> tuple[tuple[str, str, str], ...]:
    """The headers every response gets (HSTS in production only), as (lower name, name, value)."""
    headers = (*COMMON_HEADERS, HSTS) if hsts else COMMON_HEADERS
    return tuple((name.lower(), name, value) for name, value in headers)


def add_security_headers(headers: Headers, common: tuple[tuple[str, str, str], ...], path: str):
    """Add each header a view has not set itself; the docs page gets the CSP its UI needs."""
    present = {name.lower() for name, _value in headers}
    for lower, name, value in common:
        if lower not in present:
            headers.add(name, value)
    if "content-security-policy" not in present:
        csp = DOCS_CSP if path.startswith(DOCS_PREFIX) else API_CSP
        headers.add("Content-Security-Policy", csp)
