"""A shop on loopback for the outbound webhooks: a real HTTP server in a thread that checks each delivery's
signature with the endpoint's secret, applies each Idempotency-Key once, and answers as a test scripts it."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from portal.orders.webhook import signature_problem


class ShopServer:
    def __init__(self, secret=""):
        self.secret = secret
        self.requests = []  # every delivery that arrived: (headers, body, signature problem or None)
        self.applied = {}  # Idempotency-Key -> the event the shop applied for it (once per key)
        self.accepted = {}  # Idempotency-Key -> how many deliveries of it the shop answered with success
        self.answers = []  # status codes for the next requests, in order; then 200
        self.hold = threading.Event()  # cleared: requests wait (the sender is inside the POST) until set
        self.hold.set()
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self):
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                problem = signature_problem(shop.secret, self.headers.get("X-Timestamp", ""),
                                            self.headers.get("X-Signature", ""), body, int(time.time()), 300)
                key = self.headers.get("Idempotency-Key", "")
                with shop._lock:
                    shop.requests.append((dict(self.headers), body, problem))
                    status = shop.answers.pop(0) if shop.answers else 200
                    if problem:
                        status = 401
                    elif 200 <= status < 300:
                        # Applied at receipt, as a shop's database would; a repeated key is acknowledged only.
                        shop.applied.setdefault(key, json.loads(body))
                        shop.accepted[key] = shop.accepted.get(key, 0) + 1
                shop.arrived.set()
                shop.hold.wait(30)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                answer = json.dumps({"ok": 200 <= status < 300}).encode()
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.hold.set()
        self._server.shutdown()
        self._server.server_close()

    def keys(self):
        with self._lock:
            return [headers.get("Idempotency-Key") for headers, _, _ in self.requests]

    def bodies(self):
        with self._lock:
            return [json.loads(body) for _, body, _ in self.requests]
