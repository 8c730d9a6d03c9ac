"""The ``portmanager`` command: the command-line face of ``core`` (no Qt).

Each ``*_cmds`` module registers its subcommands with ``register(subparsers)``; a handler
takes ``(ctx, args)`` and returns the exit code: 0 ok, 1 a port could not be had / a check
failed, 2 bad input (nothing written), 3 refused.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from . import context

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_REFUSED = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    from . import interop_cmds, occupancy_cmds, registry_cmds, supervisor_cmds

    parser = argparse.ArgumentParser(
        prog="portmanager",
        description="One registry for the ports of your local AI stack.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--registry", metavar="FILE",
                        help="registry file to use (default: registry.yaml in the config folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (registry_cmds, occupancy_cmds, supervisor_cmds, interop_cmds):
        module.register(sub)
    _accept_registry_anywhere(parser)
    return parser


def _accept_registry_anywhere(parser: argparse.ArgumentParser) -> None:
    """``--registry FILE`` also after the command (``portmanager status --registry x.yaml``)."""
    for action in parser._actions:  # argparse offers no public walk over subcommands
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for child in action.choices.values():
            child.add_argument("--registry", metavar="FILE", default=argparse.SUPPRESS,
                               help="registry file to use")
            _accept_registry_anywhere(child)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = context.Context.from_args(args)
    try:
        return args.func(ctx, args)
    except context.CliError as exc:
        print(f"portmanager: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
