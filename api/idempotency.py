"""The `Idempotency-Key` header on a view (docs/api-conventions.md, "Idempotency-Key"); the rules
live in services/idempotency.py."""

import functools
from collections.abc import Callable

from flask import current_app, request

from services import idempotency

REPLAYED_HEADER = "Idempotent-Replayed"


def idempotent(scope: Callable[..., str]):
    """Answer a repeated request with its first response; `scope(**view_args)` names whose
    keys these are (the invitation code, the user).

    Put it under the route decorator and above `arguments`/`response`, so a stored answer is
    the full response, errors included.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            raw_key = request.headers.get(idempotency.HEADER)
            if raw_key is None:
                return view(*args, **kwargs)
            key = idempotency.validate_key(raw_key)
            fingerprint = idempotency.request_fingerprint(
                request.method, request.path, request.get_data(cache=True)
            )
            claimed = idempotency.claim(scope(**kwargs), key, fingerprint)
            if isinstance(claimed, idempotency.StoredResponse):
                return _replay(claimed)
            try:
                response = current_app.make_response(view(*args, **kwargs))
            except Exception as error:  # noqa: BLE001 - mapped to its error response, then stored
                response = current_app.make_response(current_app.handle_user_exception(error))
            if response.status_code >= 500:
                idempotency.release(claimed)
            else:
                idempotency.complete(claimed, response.status_code, response.get_data(as_text=True))
            return response

        return wrapper

    return decorate


def _replay(stored: idempotency.StoredResponse):
    response = current_app.response_class(
        stored.body, status=stored.status_code, mimetype="application/json"
    )
    response.headers[REPLAYED_HEADER] = "true"
    return response
