"""Cost of the llama-swap / ClaraCore live check (a benchmark, not a test).

What the app's ``LiveModels`` worker runs with each machine-wide scan, and what ``status``
runs once: ``live.report`` for a 100-model runtime-numbered pool against 5,000 listeners
(20 of them llama-servers) and a real llama-swap-like ``/running`` server on 127.0.0.1
listing 20 models. Reports medians of:

- api:      the proxy answers ``/running`` (one loopback HTTP request + the comparison);
- refused:  nothing listens on the proxy's port (the command lines alone);
- silent:   something accepts on the proxy's port but never answers (bounded by the 1 s timeout).

The last line is one JSON object.

Usage: python benchmarks/live_models.py [--runs 200]
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portmanager_gui.core.interop import live  # noqa: E402
from portmanager_gui.core.registry.model import Group, Registry, Service  # noqa: E402

MODELS, LISTENERS, SERVERS, RUNNING = 100, 5000, 20, 20
START = 5800


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 3)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()

    members = tuple(f"model-{i:03d}" for i in range(MODELS))
    body = json.dumps({"running": [{"model": m, "state": "ready", "proxy": f"http://127.0.0.1:{START + i}"}
                                   for i, m in enumerate(members[:RUNNING])]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    api = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()

    holders = [(20000 + i, ["/usr/bin/python3", "-m", "http.server", str(20000 + i)]) for i in range(LISTENERS - SERVERS)]
    holders += [(START + 40 + i, ["/opt/llama.cpp/llama-server", "--port", str(START + 40 + i), "--alias", members[40 + i]])
                for i in range(SERVERS)]
    pool = Group("models", START, size=MODELS, members=members, numbered_by="llama-swap")

    def registry(port: int) -> Registry:
        return Registry({"llama-swap": Service("llama-swap", (port,))}, {}, pool)

    results = {}
    for name, port, runs in (("api", api.server_address[1], args.runs), ("refused", closed_port, args.runs),
                             ("silent", silent.getsockname()[1], 3)):
        reg = registry(port)
        (rep,) = live.report(reg, holders)
        results[f"{name}_ms"] = _median_ms(lambda reg=reg: live.report(reg, holders), runs)
        results[f"{name}_models_seen"] = sum(m.actual is not None for m in rep.models)
        results[f"{name}_mismatches"] = len(rep.mismatches)
        print(f"{name:8s} {results[f'{name}_ms']:9.3f} ms median; {results[f'{name}_models_seen']} models seen, "
              f"{results[f'{name}_mismatches']} mismatches")
    api.shutdown()
    api.server_close()
    silent.close()
    print(json.dumps({"benchmark": "live_models", "listeners": LISTENERS, "models": MODELS, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
