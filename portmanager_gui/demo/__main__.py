"""``python -m portmanager_gui.demo router|model ...``: run one of the demo servers."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portmanager_gui.demo",
                                     description="Port Manager's embedded demo servers.")
    sub = parser.add_subparsers(dest="which", required=True)
    router = sub.add_parser("router", help="the model router (a page, /api/health, /api/models)")
    router.add_argument("--registry", metavar="FILE", help="registry whose model servers to list")
    model = sub.add_parser("model", help="a model server like llama-server (/health, /v1/models)")
    model.add_argument("--model", "-m", required=True, help="the model id it serves")
    for p in (router, model):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.which == "router":
        from .router import run
        return run(args.host, args.port, args.registry)
    from .model_server import run as run_model
    return run_model(args.model, args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
