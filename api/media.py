"""`GET /media/<name>`: files of MEDIA_ROOT, for `make run` (README, "Media").

In production the proxy (or MEDIA_BASE_URL's host) serves them; this route stays safe there:
names that could leave MEDIA_ROOT, hidden files and folders are 404.
"""

from flask import Blueprint, abort, send_file

from utils.media import MEDIA_URL_PATH, existing_media_file

blp = Blueprint("media", __name__, url_prefix=MEDIA_URL_PATH)

MAX_AGE_SECONDS = 3600


@blp.get("/<path:name>")
def media_file(name: str):
    path = existing_media_file(name)
    if path is None:
        abort(404)
    return send_file(path, max_age=MAX_AGE_SECONDS, conditional=True)
