"""A model server in the llama-server mould: ``/health``, ``/v1/models``, a toy completion.

llama-server answers ``/health`` with ``{"status": "ok"}`` once its model is loaded (503
while loading); ``/v1/models`` lists the one model it serves. This one "loads" instantly
and answers chat completions by echoing the last message, so a router can be tried end
to end without a GPU.
"""
from __future__ import annotations

import json
import time

from .http_base import JsonHandler, Server, serve


def make_handler(model: str) -> type[JsonHandler]:
    class ModelHandler(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            if path == "/health":
                self.send_json({"status": "ok"})
            elif path in ("/v1/models", "/models"):
                self.send_json({"object": "list", "data": [
                    {"id": model, "object": "model", "created": int(time.time()), "owned_by": "portmanager-demo"}]})
            elif path == "/":
                self.send_html(f"<!doctype html><title>{model}</title><h1>Demo model server: {model}</h1>"
                               "<p>Endpoints: <a href='/health'>/health</a>, <a href='/v1/models'>/v1/models</a>,"
                               " POST /v1/chat/completions</p>")
            else:
                self.not_found()

        def do_POST(self) -> None:  # noqa: N802
            if self.path.split("?", 1)[0] != "/v1/chat/completions":
                self.not_found()
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                request = json.loads(self.rfile.read(length) or b"{}")
                last = (request.get("messages") or [{}])[-1].get("content", "")
            except (ValueError, AttributeError):
                self.send_json({"error": {"code": 400, "message": "the body must be a JSON chat request"}}, 400)
                return
            self.send_json({"object": "chat.completion", "model": model, "created": int(time.time()),
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": f"[{model}] {last}"}}]})

    return ModelHandler


def run(model: str, host: str, port: int) -> int:
    server = Server(host, port, make_handler(model))
    bound = server.server_address[1]
    return serve(server, f"demo model server {model!r} listening on {host}:{bound}")
