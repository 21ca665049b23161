"""`GET /r/<code>`: the short link shared on WhatsApp (docs/guest-side.md, "The guest side")."""

from flask import Blueprint, current_app, redirect, render_template_string, request

from services import short_links
from utils.crawlers import is_preview_crawler

blp = Blueprint("redirect", __name__, url_prefix="/r")

# Jinja escapes every value: names and descriptions are the customer's own text.
PREVIEW_PAGE = """<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<title>{{ preview.title }}</title>
<meta name="description" content="{{ preview.description }}">
<meta property="og:type" content="website">
<meta property="og:locale" content="es_PE">
<meta property="og:site_name" content="Invitaciones Web">
<meta property="og:title" content="{{ preview.title }}">
<meta property="og:description" content="{{ preview.description }}">
<meta property="og:url" content="{{ preview.url }}">
{% if preview.image %}{% set image = preview.image %}
<meta property="og:image" content="{{ image.url }}">
{% if image.mime_type %}<meta property="og:image:type" content="{{ image.mime_type }}">
{% endif %}{% if image.width and image.height %}
<meta property="og:image:width" content="{{ image.width }}">
<meta property="og:image:height" content="{{ image.height }}">
{% endif %}<meta property="og:image:alt" content="{{ preview.title }}">
<meta name="twitter:image" content="{{ image.url }}">
{% endif %}<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="{{ preview.title }}">
<meta name="twitter:description" content="{{ preview.description }}">
<link rel="canonical" href="{{ target }}">
<meta http-equiv="refresh" content="0; url={{ target }}">
</head>
<body><p><a href="{{ target }}">{{ preview.title }}</a></p></body>
</html>
"""


@blp.get("/<code>")
def short_link(code: str):
    if is_preview_crawler(request.headers.get("User-Agent")):
        preview = short_links.preview(code)
        html = render_template_string(PREVIEW_PAGE, preview=preview, target=_target(code))
        page = current_app.response_class(html, mimetype="text/html")
        page.headers["Cache-Control"] = "public, max-age=300"
        page.vary.add("User-Agent")
        return page
    response = redirect(_target(short_links.visit(code)), code=302)
    # Every visit is counted: nothing on the way may answer it from a cache.
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("User-Agent")
    return response


def _target(code: str) -> str:
    return f"{current_app.config['FRONTEND_URL'].rstrip('/')}/i/{code.lower()}"
