"""A configurable service for supervisor tests, run as ``python tests/fake_service.py --port N``.

It serves ``/health`` over HTTP on ``--host:--port`` after doing what the options ask:
``--flood MB`` writes that much to stdout first, ``--exit CODE`` exits at once,
``--reuseport`` binds with SO_REUSEPORT, ``--ignore-term`` ignores SIGTERM, ``--grandchild``
lets a child of its own (which ignores SIGTERM) serve the port while it just waits,
``--daemonize`` forks, calls setsid and forks again (the first two exit 0) before serving,
``--drop-to USER`` switches to that user after binding (as nginx or redis started as root do).
Arguments after ``--echo`` are printed verbatim (to check no shell ever sees them).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        status = 200 if self.path == "/health" else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class Server(HTTPServer):
    allow_reuse_address = True

    def __init__(self, host: str, port: int, reuseport: bool):
        self.reuseport = reuseport
        super().__init__((host, port), Handler)

    def server_bind(self) -> None:
        if self.reuseport:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def daemonize() -> None:
    """The classic double fork: the caller's process and the session leader both exit 0."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--flood", type=int, default=0)
    ap.add_argument("--exit", type=int)
    ap.add_argument("--reuseport", action="store_true")
    ap.add_argument("--ignore-term", action="store_true")
    ap.add_argument("--grandchild", action="store_true")
    ap.add_argument("--daemonize", action="store_true")
    ap.add_argument("--drop-to")
    ap.add_argument("--echo", nargs=argparse.REMAINDER, default=[])
    a = ap.parse_args()
    print(f"argv: {sys.argv[1:]!r} PORT={os.environ.get('PORT')} "
          f"LLAMA_ARG_PORT={os.environ.get('LLAMA_ARG_PORT')}", flush=True)
    if a.exit is not None:
        print(f"exiting with {a.exit}", flush=True)
        return a.exit
    if a.flood:
        line = b"x" * 1023 + b"\n"
        out = sys.stdout.buffer
        for _ in range(a.flood * 1024):
            out.write(line)
        out.flush()
    if a.grandchild:
        argv = [sys.executable, __file__, "--host", a.host, "--port", str(a.port), "--ignore-term"]
        child = subprocess.Popen(argv)
        print(f"grandchild {child.pid}", flush=True)
        return child.wait()
    if a.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if a.daemonize:
        daemonize()
    server = Server(a.host, a.port, a.reuseport)
    if a.drop_to:
        import pwd

        user = pwd.getpwnam(a.drop_to)
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    print(f"listening on {a.port} as pid {os.getpid()} uid {os.getuid()}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
