"""The ``portmanager`` command: the command-line face of ``core`` (no Qt).

Each ``*_cmds`` module registers its subcommands with ``register(subparsers)``; a handler
takes ``(ctx, args)`` and returns the exit code: 0 ok, 1 a port could not be had / a check
failed, 2 bad input (nothing written), 3 refused.

A run imports only the module of the command it runs (``COMMAND_MODULES``): importing them
all costs several times what ``portmanager url`` itself does. ``--version``, ``--help`` and
a missing or unknown command import none (the commands' table is ``commands.py``).
A run of a known command also builds the parser of that command only: each argparse
parser looks up message catalogues (gettext) several times, about 1 ms per parser.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence

from .. import __version__
from .commands import COMMANDS, HELP

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_REFUSED = 0, 1, 2, 3

MODULES = ("registry_cmds", "occupancy_cmds", "supervisor_cmds", "interop_cmds")
COMMAND_MODULES = {name: module for name, (module, _) in COMMANDS.items()}


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, as wide as the terminal by ``shutil.get_terminal_size``'s
    rule (COLUMNS, then the terminal of stdout, then 80) without importing shutil (and its
    zlib, bz2 and lzma): argparse makes a formatter at every ``add_argument``."""

    def __init__(self, prog: str, **kwargs) -> None:
        if kwargs.get("width") is None:
            kwargs["width"] = _columns() - 2
        super().__init__(prog, **kwargs)


def _columns() -> int:
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Skipped:
    """The parser of a command this run does not run: takes the calls of ``register`` and
    builds nothing (``add_argument``, ``set_defaults``, nested ``add_subparsers``...)."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: self


class _OneCommand:
    """A subparsers action that builds the parser of ``command`` only."""

    def __init__(self, sub: argparse._SubParsersAction, command: str):
        self._sub, self._command = sub, command

    def add_parser(self, name: str, **kwargs):
        if name != self._command:
            return _Skipped()
        return self._sub.add_parser(name, formatter_class=_Formatter, **kwargs)


def build_parser(modules: Sequence[str] = MODULES, command: str | None = None,
                 names: bool = True) -> argparse.ArgumentParser:
    """The parser with the commands of ``modules``; the other commands of the table are a
    name and a line of help only (enough for ``--help`` and for argparse's "invalid choice"),
    or (``names`` False: ``--version``, no command at all) not there.

    With ``command`` (a command of the table) that command's parser is the only one built."""
    parser = argparse.ArgumentParser(
        prog="portmanager",
        description="One registry for the ports of your local AI stack.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--registry", metavar="FILE",
                        help="registry file to use (default: registry.yaml in the config folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    if command is not None:
        importlib.import_module(f"{__name__}.{COMMAND_MODULES[command]}").register(_OneCommand(sub, command))
        _accept_registry_anywhere(parser)
        return parser
    for name in modules:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    for name, module in COMMAND_MODULES.items() if names else ():
        if module not in modules and name not in sub.choices:
            sub.add_parser(name, help=HELP[name])
    _accept_registry_anywhere(parser)
    return parser


def _first_word(argv: Sequence[str]) -> str | None:
    """The command word of ``argv`` ("" for a top-level ``--help``; None when there is none)."""
    args = iter(argv)
    for arg in args:
        if arg in ("-h", "--help"):
            return ""
        if arg == "--registry":
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def modules_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The command modules a run with these arguments needs."""
    module = COMMAND_MODULES.get(_first_word(argv) or "")
    return (module,) if module else ()


def command_for(argv: Sequence[str]) -> str | None:
    """The command of the table a run with these arguments runs (None: none, or not known)."""
    word = _first_word(argv)
    return word if word in COMMAND_MODULES else None


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
    """The command; ``argv`` None: this process is the command (its own command line)."""
    is_process = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(modules_for(argv), command_for(argv), _first_word(argv) is not None).parse_args(argv)
    from . import context

    if is_process:
        # A command is short-lived and what it imported lives until it exits: out of the
        # cyclic collector's sight (gc.freeze), the collections that building a big
        # registry's values sets off no longer walk every object of every imported module
        # again (about a third of loading a 1,000-service registry). Not for in-process
        # callers (tests): frozen objects are never collected.
        gc.freeze()
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
