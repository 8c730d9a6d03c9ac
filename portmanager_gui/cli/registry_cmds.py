"""Registry and planner subcommands: check, plan, ports, group, url, env."""
from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING

from ..core.ports import lookup
from ..core.ports.selection import (
    PoolFull,
    all_taken_lines,
    allocate_slots,
    fallback_warning,
    model_slots,
)
from ..core.registry.model import Registry, UnknownName
from .commands import HELP
from .context import CliError, Context

if TYPE_CHECKING:   # the probe is imported by the commands that probe (check, plan)
    from ..core.ports.probe import Availability

RULE, THIN = "=" * 60, "-" * 60
_PORT_ARG = re.compile(r"[1-9][0-9]{0,4}")


def _fancy() -> bool:
    """Emoji only where the console can print them (not a cp1252 Windows console)."""
    return (getattr(sys.stdout, "encoding", "") or "").lower().replace("-", "") in ("utf8", "utf8sig")


def _mark(state: Availability) -> str:
    from ..core.ports.probe import Availability

    fancy = _fancy()
    if state is Availability.FREE:
        return "✅ Available" if fancy else "[ok] Available"
    label = "In use" if state is Availability.IN_USE else "Reserved by the OS"
    return ("❌ " if fancy else "[x] ") + label


def port_arg(text: str) -> int:
    """argparse type for a port: a plain decimal 1-65535 (no leading zeros, no signs)."""
    if not _PORT_ARG.fullmatch(text) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; give a number between 1 and 65535")
    return int(text)


def size_arg(text: str) -> int:
    if not _PORT_ARG.fullmatch(text) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; give a whole number of ports (1 or more)")
    return int(text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help=HELP["check"])
    p.add_argument("names", nargs="*", metavar="NAME", help="services or groups (default: all)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("plan", help=HELP["plan"])
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("ports", help=HELP["ports"])
    p.add_argument("name", metavar="NAME")
    p.add_argument("ports", nargs="+", type=port_arg, metavar="PORT", help="preferred first, then fallbacks")
    p.set_defaults(func=cmd_ports)

    p = sub.add_parser("group", help=HELP["group"])
    p.add_argument("name", metavar="GROUP", help="a group name, or 'models' for ungrouped models")
    p.add_argument("--start", type=port_arg, metavar="PORT", help="first port of the range")
    p.add_argument("--size", type=size_arg, metavar="N", help="number of ports in the range")
    p.set_defaults(func=cmd_group)

    p = sub.add_parser("url", help=HELP["url"])
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_url)

    p = sub.add_parser("env", help=HELP["env"])
    p.set_defaults(func=cmd_env)


def _names(reg: Registry, names: list[str]) -> list[str]:
    for name in names:
        if name not in reg.services and reg.pool(name) is None:
            raise CliError(str(UnknownName(name, reg)))
    return names


def cmd_check(ctx: Context, args: argparse.Namespace) -> int:
    # preflight brings platform facts and lint: only check and plan import it
    from ..core.ports import preflight

    reg = ctx.load_registry()
    report = preflight.run(reg, _names(reg, args.names), allocations_file=ctx.paths.allocations_file, full=True)
    ctx.print(RULE)
    ctx.print("Port Availability Test")
    ctx.print(RULE)
    for sel in report.selections:
        svc = reg.services[sel.service]
        ctx.print("")
        ctx.print(f"{sel.service}" + (f" ({svc.description})" if svc.description else ""))
        ctx.print("Checking port availability:")
        for port, state in sel.tried:
            ctx.print(f"  Port {port}: {_mark(state)}")
        ctx.print("")
        ctx.print(THIN)
        star = "✨ " if _fancy() else ""
        if sel.port is None:
            for line in all_taken_lines(p for p, _ in sel.tried):
                ctx.print(line)
            continue
        if sel.fallback:
            ctx.print(f"{'⚠️ ' if _fancy() else '! '}{fallback_warning(sel.preferred, sel.port)}")
            ctx.print(f"{star}Will use fallback port: {sel.port}")
        else:
            ctx.print(f"{star}Will use preferred port: {sel.port}")
        ctx.print(RULE)
    if report.slots:
        ctx.print("")
        ctx.print("Model servers:")
        for check in report.slots:
            ctx.print(f"  {check.slot.unit:32} port {check.slot.port}: {_mark(check.availability)}")
    for error in report.errors:
        ctx.warn(f"ERROR: {error}")
    return 0 if report.ok else 1


def cmd_plan(ctx: Context, args: argparse.Namespace) -> int:
    reg = ctx.load_registry()
    from ..core.ports import preflight

    report = preflight.run(reg, allocations_file=ctx.paths.allocations_file)
    ctx.print(f"Registry: {ctx.registry_path}")
    ctx.print("")
    ctx.print(f"{'SERVICE':18} {'PORTS':20} WILL USE")
    for sel in report.selections:
        ports = ", ".join(str(p) for p in reg.services[sel.service].ports)
        if sel.port is None:
            verdict = f"NONE - all taken ({ports})"
        elif sel.fallback:
            verdict = f"{sel.port} (fallback: {fallback_warning(sel.preferred, sel.port)})"
        else:
            verdict = str(sel.port)
        ctx.print(f"{sel.service:18} {ports:20} {verdict}")
    if report.slots:
        ctx.print("")
        ctx.print(f"{'MODEL SERVER':32} {'PORT':6} STATE")
        for check in report.slots:
            ctx.print(f"{check.slot.unit:32} {check.slot.port:<6} {check.availability.value}")
    for error in report.errors:
        ctx.print(f"ERROR: {error}")
    ctx.print("")
    if report.warnings:
        ctx.print(f"Warnings ({len(report.warnings)}):")
        for w in report.warnings:
            ctx.print(f"  - {w.key}: {w.message}")
            ctx.print(f"    fix: {w.fix}")
    else:
        ctx.print("No warnings.")
    return 0 if report.ok else 1


def cmd_ports(ctx: Context, args: argparse.Namespace) -> int:
    reg = ctx.load_registry()
    if args.name not in reg.services:
        raise CliError(str(UnknownName(args.name, reg)))
    dupes = sorted({p for p in args.ports if args.ports.count(p) > 1})
    if dupes:
        raise CliError(f"port {dupes[0]} is listed twice for {args.name}; list each port once")
    new = reg.with_service_ports(args.name, tuple(args.ports))
    path = ctx.save_registry(new)
    ports = new.services[args.name].ports
    fallbacks = ", ".join(str(p) for p in ports[1:]) or "none"
    ctx.print(f"{args.name}: preferred port {ports[0]}, fallbacks {fallbacks} (saved to {path})")
    _print_related_warnings(ctx, new, f"services.{args.name}")
    _after_save(ctx, reg, new)
    return 0


def cmd_group(ctx: Context, args: argparse.Namespace) -> int:
    reg = ctx.load_registry()
    group = reg.pool(args.name)
    if group is None:
        raise CliError(f"unknown group {args.name!r} (groups: {', '.join(['models', *reg.groups])})")
    if args.start is None and args.size is None:
        raise CliError("give --start PORT and/or --size N")
    start = args.start if args.start is not None else group.start_port
    size = args.size if args.size is not None else group.size
    if start + size - 1 > 65535:
        raise CliError(f"the range {start}-{start + size - 1} of {args.name} goes past 65535; lower --start or --size")
    new = reg.with_group_range(args.name, start, size)
    try:
        slots = model_slots(new, ctx.paths.allocations_file)
    except PoolFull as exc:
        raise CliError(str(exc)) from None
    path = ctx.save_registry(new)
    allocate_slots(new, ctx.paths.allocations_file)     # the new range is remembered with the save
    g = new.pool(args.name)
    ctx.print(f"{args.name}: ports {g.range_text} ({g.size} ports) (saved to {path})")
    for slot in slots:
        if slot.pool == args.name:
            ctx.print(f"  {slot.model}: {slot.port}")
    _print_related_warnings(ctx, new, "start_port" if args.name == "models" else f"groups.{args.name}")
    _after_save(ctx, reg, new)
    return 0


def _after_save(ctx: Context, old: Registry, new: Registry) -> None:
    """Linked files and restart hints: imported only by the commands that save."""
    from .save_path import after_save

    after_save(ctx, old, new)


def _print_related_warnings(ctx: Context, reg: Registry, key: str) -> None:
    from ..core.registry.lint import lint

    for w in lint(reg):
        if w.key.startswith(key) or key in w.message:
            ctx.warn(f"warning: {w.key}: {w.message} -> {w.fix}")


def _running_port(ctx: Context):
    """unit -> the port it really runs on (None: not running), from one read of the state
    record, made at the first question (`env` asks for every unit of the registry)."""
    from ..core.supervisor import records as state

    ports: dict[str, int] | None = None

    def running_port(unit: str) -> int | None:
        nonlocal ports
        if ports is None:
            ports = {r.unit: r.port for r in state.store_for(ctx.paths).records() if r.alive}
        return ports.get(unit)
    return running_port


def cmd_url(ctx: Context, args: argparse.Namespace) -> int:
    reg = ctx.load_registry()
    try:
        res = lookup.resolve(reg, args.name, ctx.paths.allocations_file, _running_port(ctx))
    except UnknownName as exc:
        raise CliError(str(exc)) from None
    except PoolFull as exc:
        raise CliError(str(exc), 1) from None
    ctx.print(res.url)
    return 0


def cmd_env(ctx: Context, args: argparse.Namespace) -> int:
    reg = ctx.load_registry()
    try:
        lines = lookup.env_lines(reg, ctx.paths.allocations_file, _running_port(ctx))
    except PoolFull as exc:
        raise CliError(str(exc), 1) from None
    for line in lines:
        ctx.print(line)
    return 0
