"""A real webhook receiver on 127.0.0.1 for the tests and ``bench/realtime.py``: it records every
delivery and refuses a share of them with a 500."""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Records every delivery; refuses a share of them with a 500."""

    def __init__(self, fail: float) -> None:
        self.fail = fail
        self.random = random.Random(7)
        self.received: list[tuple[int, dict, str, bool]] = []  # event id, body, signature, accepted
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    accepted = receiver.random.random() >= receiver.fail
                    receiver.received.append(
                        (
                            int(self.headers["X-Zhengai-Event-Id"]),
                            json.loads(body),
                            self.headers["X-Zhengai-Signature"],
                            accepted,
                        )
                    )
                    receiver.bodies.append(body)
                self.send_response(200 if accepted else 500)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.bodies: list[bytes] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
