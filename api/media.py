"""`GET /media/<name>`: files of MEDIA_ROOT, for `make run` (docs/editor-and-media.md, "Media").

In production the proxy (or MEDIA_BASE_URL's host) serves them; this route stays safe there:
names that could leave MEDIA_ROOT, hidden files and folders are 404.
"""

from flask import Blueprint, abort, send_file

from utils.media import MEDIA_URL_PATH, existing_media_file

blp = Blueprint("media", __name__, url_prefix=MEDIA_URL_PATH)

MAX_AGE_SECONDS = 3600
# Uploads get a new random key for every file, and a preview card's key carries the hash of
# what it shows, so what such a key names never changes.
IMMUTABLE_PREFIXES = ("uploads/", "cards/")
YEAR_SECONDS = 365 * 24 * 3600


@blp.get("/<path:name>")
def media_file(name: str):
    path = existing_media_file(name)
    if path is None:
        abort(404)
    if name.startswith(IMMUTABLE_PREFIXES):
        response = send_file(path, max_age=YEAR_SECONDS, conditional=True)
        response.cache_control.immutable = True
        response.cache_control.public = True
        return response
    return send_file(path, max_age=MAX_AGE_SECONDS, conditional=True)
