"""Requests sent at the same moment, each from its own thread, test client, app context,
session and database connection (as gunicorn workers would), released by one barrier."""

import threading

TIMEOUT_SECONDS = 120


def fire_at_once(app, calls: list[dict]) -> list[tuple]:
    """Send every request (`client.open` keyword arguments; `method` defaults to POST, since
    races are between writes) at once; for each, in order, `(status, json body)` or
    `("exception", repr)`."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index: int, call: dict) -> None:
        client = app.test_client()
        barrier.wait()
        try:
            response = client.open(**{"method": "POST", **call})
            results[index] = (response.status_code, response.get_json())
        except Exception as error:  # noqa: BLE001 - reported by the callers' assertions
            results[index] = ("exception", repr(error))

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results
