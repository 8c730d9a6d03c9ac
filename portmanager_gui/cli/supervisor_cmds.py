"""Starting and stopping services: up, start, stop, restart, logs.

``up`` is a foreground supervisor (like ``python app.py`` or ``honcho start``): it prints
the Model Router document's banner and every fallback warning, watches for crashes, and on
Ctrl-C / SIGTERM stops everything it started. ``start``/``stop``/``restart`` are one-shot
commands for scripts; what they start keeps running and is found again through the state
record by any later command or the desktop app.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..core.registry.model import Registry, UnknownName, display_host, format_template
from ..core.supervisor import logfiles
from ..core.supervisor.types import (
    StartOutcome,
    StopFailure,
    StopOutcome,
    SupervisorEvent,
)
from ..core.supervisor.unit_spec import expand
from ..text.supervisor import event_text, start_error, start_warnings, stop_text
from .commands import HELP
from .context import CliError, Context
from .state_text import state_damage_text

if TYPE_CHECKING:   # launching, stopping, process trees: imported by the commands that start or stop
    from ..core.supervisor.supervisor import Supervisor

RULE = "=" * 60
POLL_INTERVAL = 0.5
LIVE_EVENTS = ("crashed", "restarting", "gave_up")  # the rest are printed from the outcomes
EXIT_REFUSED = 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("up", help=HELP["up"])
    p.add_argument("names", nargs="*", metavar="NAME|GROUP",
                   help="services, groups or 'models' (default: everything with a command)")
    p.set_defaults(func=cmd_up)

    for name, func in (("start", cmd_start), ("restart", cmd_restart)):
        p = sub.add_parser(name, help=HELP[name])
        p.add_argument("names", nargs="+", metavar="NAME|GROUP")
        p.set_defaults(func=func)

    p = sub.add_parser("stop", help=HELP["stop"])
    p.add_argument("names", nargs="*", metavar="NAME|GROUP")
    p.add_argument("--all", action="store_true", help="stop everything in the state record")
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("logs", help=HELP["logs"])
    p.add_argument("name", metavar="NAME", help="a service or model server (pool/model)")
    p.add_argument("-n", "--lines", type=int, default=50, help="how many of the last lines (default 50)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines until Ctrl-C")
    p.set_defaults(func=cmd_logs)


# -- output ------------------------------------------------------------------------------

def _fancy(stream: TextIO) -> bool:
    return (getattr(stream, "encoding", "") or "").lower().replace("-", "") in ("utf8", "utf8sig")


def unit_url(registry: Registry, unit: str, port: int) -> str:
    if unit in registry.services:
        return registry.services[unit].url_for(port)
    pool, _, model = unit.partition("/")
    group = registry.pool(pool)
    if group is None:
        return f"http://127.0.0.1:{port}/"
    return format_template(group.url, port=port, host=display_host(group.host), model=model)


def banner_lines(registry: Registry, unit: str, port: int, fancy: bool) -> list[str]:
    """The document's banner for a service that has one (``MODEL ROUTER API SERVER``)."""
    svc = registry.services.get(unit)
    if svc is None or not svc.banner:
        return []
    lines = ["", RULE, svc.banner, RULE, "", f"{'✨ ' if fancy else ''}Server running on port {port}"]
    endpoints = svc.endpoint_urls(port)
    if endpoints:
        lines += ["", "Endpoints:", *(f"  - {label}: {url}" for label, url in endpoints)]
    return lines + [""]


def print_started(ctx: Context, registry: Registry, outcome: StartOutcome, banner: bool) -> None:
    warnings = start_warnings(outcome)
    for line in warnings:
        ctx.print(f" {line}")
    if outcome.port is None:
        return
    lines = banner_lines(registry, outcome.unit, outcome.port, _fancy(ctx.out)) if banner else []
    if lines and not outcome.adopted:
        for line in lines:
            ctx.print(line)
        return
    if outcome.adopted and warnings:
        return  # the warning line already says where it runs
    verb = "running" if not outcome.adopted else "already running"
    pid = f", pid {outcome.pid}" if outcome.pid else ""
    ctx.print(f"{outcome.unit}: {verb} on port {outcome.port}{pid} -- {unit_url(registry, outcome.unit, outcome.port)}")


def print_failed(ctx: Context, outcome: StartOutcome) -> None:
    error = start_error(outcome)
    ctx.warn(error if "\n" in error else f"{outcome.unit}: {error}")


def print_stopped(ctx: Context, outcome: StopOutcome) -> None:
    (ctx.print if outcome.ok else ctx.warn)(stop_text(outcome))


def _report_starts(ctx: Context, registry: Registry, outcomes: list[StartOutcome], banner: bool) -> bool:
    """Print every outcome; the all-taken block is printed once even when it stopped several."""
    for o in outcomes:
        if o.ok:
            print_started(ctx, registry, o, banner)
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print_failed(ctx, o)
    return not failed


def _supervisor(ctx: Context, registry: Registry, **kwargs) -> Supervisor:
    from ..core.supervisor.supervisor import Supervisor

    return Supervisor(registry, ctx.paths.ensure(), **kwargs)


def _check_names(sup: Supervisor, names: list[str], ctx: Context | None = None) -> None:
    """Unknown names are bad input; a damaged state record is told before a start replaces it."""
    try:
        for name in names:
            sup.units(name)
    except UnknownName as exc:
        raise CliError(str(exc)) from None
    damage = sup.state_damage() if ctx is not None else None
    if damage is not None:
        ctx.warn(f"WARNING: {state_damage_text(damage)}; it is kept as {damage.copy} when replaced")


# -- up -----------------------------------------------------------------------------------

@contextmanager
def stop_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT, SIGTERM (and SIGHUP, SIGBREAK where they exist) set ``stop`` instead of killing us."""
    names = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
    sigs = [getattr(signal, n) for n in names if hasattr(signal, n)]
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in sigs:
            previous[sig] = signal.signal(sig, lambda signum, frame: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cmd_up(ctx: Context, args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    registry = ctx.load_registry()
    stop = stop or threading.Event()

    def on_event(event: SupervisorEvent) -> None:
        if event.kind in LIVE_EVENTS:
            ctx.warn(event_text(event))

    with _supervisor(ctx, registry, on_event=on_event, owns_children=True, cancel=stop) as sup:
        return _up(ctx, registry, sup, args.names or sup.default_names(), stop)


def _up(ctx: Context, registry: Registry, sup: Supervisor, names: list[str], stop: threading.Event) -> int:
    if not names:
        raise CliError("nothing to start: no service or model group in the registry has a command; "
                       "add `command: [...]` to one (see the README)")
    _check_names(sup, names, ctx)
    with stop_signals(stop):
        outcomes = sup.start_many(names)
        ok = _report_starts(ctx, registry, outcomes, banner=True)
        if stop.is_set():  # Ctrl-C while starting: undo what did start
            ctx.print("Stopping...")
            _shutdown(ctx, sup, quiet_if_empty=True)
            return 130
        waiting = set(sup.pending_restarts())
        if not ok and any(not o.ok and o.unit not in waiting for o in outcomes):
            _shutdown(ctx, sup, quiet_if_empty=True)
            return 1
        ctx.print(f"Port Manager is supervising {len([o for o in outcomes if o.ok])} service(s); "
                  "press Ctrl-C to stop them.")
        while not stop.wait(POLL_INTERVAL):
            sup.poll()
        ctx.print("Stopping...")
        _shutdown(ctx, sup)
    return 0


def _shutdown(ctx: Context, sup: Supervisor, quiet_if_empty: bool = False) -> None:
    stopped, left = sup.stop_owned()
    for outcome in stopped:
        print_stopped(ctx, outcome)
    for unit in left:
        rec = sup.record_for(unit)
        where = f" on port {rec.port} (pid {rec.pid})" if rec else ""
        ctx.print(f"{unit}: left running{where}; it was running before `up` started "
                  f"(stop it with: portmanager stop {unit})")
    if not stopped and not left and not quiet_if_empty:
        ctx.print("nothing was running")


# -- start / stop / restart -------------------------------------------------------------

def cmd_start(ctx: Context, args: argparse.Namespace) -> int:
    registry = ctx.load_registry()
    with _supervisor(ctx, registry) as sup:
        _check_names(sup, args.names, ctx)
        return 0 if _report_starts(ctx, registry, sup.start_many(args.names), banner=False) else 1


def cmd_stop(ctx: Context, args: argparse.Namespace) -> int:
    if not args.names and not args.all:
        raise CliError("name what to stop (a service, a group, 'models') or use --all")
    registry = ctx.load_registry()
    with _supervisor(ctx, registry) as sup:
        _check_names(sup, args.names)
        damage = sup.state_damage()
        outcomes = sup.stop_all() if args.all else [o for n in args.names for o in sup.stop(n)]
    if not outcomes:
        ctx.print("nothing was running")
    for outcome in outcomes:
        print_stopped(ctx, outcome)
    if damage is not None:   # "not running" may be wrong: the record of what runs was damaged
        ctx.warn(f"WARNING: {state_damage_text(damage)}; it is kept as {damage.copy}")
        if not outcomes or any(o.pid is None for o in outcomes):
            return 1
    return _stop_code(outcomes)


def _stop_code(outcomes: list[StopOutcome]) -> int:
    """0 all stopped; 3 one is ours but runs as a user we may not signal now; 1 otherwise."""
    if any(o.failure is StopFailure.OTHER_OWNER for o in outcomes):
        return EXIT_REFUSED
    return 0 if all(o.ok for o in outcomes) else 1


def cmd_restart(ctx: Context, args: argparse.Namespace) -> int:
    registry = ctx.load_registry()
    with _supervisor(ctx, registry) as sup:
        _check_names(sup, args.names)
        stopped = [o for name in args.names for o in sup.stop(name)]
        for outcome in stopped:
            print_stopped(ctx, outcome)
        if _stop_code(stopped) == EXIT_REFUSED:   # it runs on: starting again would only adopt it
            return EXIT_REFUSED
        return 0 if _report_starts(ctx, registry, sup.start_many(args.names), banner=False) else 1


# -- logs ---------------------------------------------------------------------------------

def cmd_logs(ctx: Context, args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    registry = ctx.load_registry()
    paths = ctx.paths
    try:
        units = expand(registry, args.name, paths.allocations_file)
    except UnknownName as exc:
        raise CliError(str(exc)) from None
    if len(units) != 1:
        raise CliError(f"{args.name} has {len(units)} model servers; name one: {', '.join(units) or 'none'}")
    path = logfiles.log_path(paths, units[0])
    if not path.exists() and not args.follow:
        raise CliError(f"{units[0]} has no log yet ({path}); it is written once the service is started", 1)
    start = logfiles.size(path)  # before the tail is read: no line falls between tail and follow
    for line in logfiles.tail(path, max(args.lines, 0)):
        ctx.print(line)
    if args.follow:
        stop = stop or threading.Event()
        with stop_signals(stop):
            follow(path, ctx.out.write, stop, start=start)
    return 0


def follow(path: Path, write: Callable[[str], object], stop: threading.Event, interval: float = 0.25,
           start: int = 0) -> None:
    """Print what is appended to ``path`` after byte ``start`` until ``stop`` is set;
    a file that shrank (rotated, truncated) is followed from its beginning."""
    pos = start
    while not stop.is_set():
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < pos:  # truncated or rotated: the new file starts from the beginning
            pos = 0
        if size > pos:
            with open(path, "rb") as fh:
                fh.seek(pos)
                data = fh.read(size - pos)
            pos += len(data)
            write(data.decode("utf-8", "replace"))
            flush = getattr(sys.stdout, "flush", None)
            if flush:
                flush()
            continue
        stop.wait(interval)


__all__ = ["register", "cmd_up", "cmd_start", "cmd_stop", "cmd_restart", "cmd_logs", "follow",
           "banner_lines", "unit_url"]
