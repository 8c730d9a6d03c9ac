"""What both demo servers share: a threading HTTP server bound the safe way, JSON replies,
and a clean exit on SIGTERM/SIGINT (so a stop ends them with code 0)."""
from __future__ import annotations

import json
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..core.platform import current_os
from ..core.platform.sockets import apply_probe_options


class Server(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` for IPv4 or IPv6 hosts.

    ``allow_reuse_address`` is off: on Windows SO_REUSEADDR would let us bind a port
    another process listens on. The same options as the bind probe are set instead
    (SO_REUSEADDR on POSIX -- ignores TIME_WAIT only --, SO_EXCLUSIVEADDRUSE on Windows),
    so the server binds exactly when the probe said the port was free.
    """

    allow_reuse_address = False
    daemon_threads = True

    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler]):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), handler)

    def server_bind(self) -> None:
        apply_probe_options(self.socket, current_os())
        super().server_bind()


class JsonHandler(BaseHTTPRequestHandler):
    server_version = "PortManagerDemo/1"

    def send_json(self, data: Any, status: int = 200) -> None:
        body = json.dumps(data, indent=2).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_html(self, html: str) -> None:
        body = html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def not_found(self) -> None:
        self.send_json({"error": {"code": 404, "message": f"no such path: {self.path}"}}, 404)


def serve(server: Server, ready_line: str) -> int:
    """Serve until SIGTERM/SIGINT; print ``ready_line`` once listening."""
    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    print(ready_line, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
    print("stopped", flush=True)
    sys.stdout.flush()
    return 0
