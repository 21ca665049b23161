"""Serve the app in a process of its own, as `make run` does: `python -m tests.live_server`.

The configuration overrides come as JSON in LIVE_APP_OVERRIDES; the first line printed is
the port picked. Its logs stay in that process, apart from the output of commands under test.
"""

import json
import os
import sys

from werkzeug.serving import make_server

from app import create_app


def main() -> None:
    app = create_app("testing", json.loads(os.environ["LIVE_APP_OVERRIDES"]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)  # noqa: T201 - read by the test that started us
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
