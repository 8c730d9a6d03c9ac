"""Live occupancy subcommands: ``status [--json] [NAME...]`` and ``kill PORT``.

``status`` shows every registry port -- each service's candidates (preferred, fallback) and
each model server's slot -- with who holds it right now. ``kill`` stops the processes
listening on exactly one port, after a confirmation, with the safety rules of
``core.processes`` (exit 3 when refused).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from ..core.interop import docker
from ..core.interop.live import serving_other
from ..core.kill import policy as processes
from ..core.occupancy import process_info
from ..core.occupancy.listeners import Listener, listeners
from ..core.occupancy.scan import OccupancyScanner
from ..core.occupancy.snapshot import Holder, PortInfo, Protocol, Snapshot
from ..core.ports.selection import PoolFull, model_slots
from ..core.registry.model import Registry, UnknownName
from ..core.supervisor import records as state
from .context import CliError, Context
from .registry_cmds import port_arg

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 3


@dataclass(frozen=True)
class StatusRow:
    unit: str           # service name, or "pool/model"
    kind: str           # "service" or "model"
    role: str           # preferred / fallback / model slot / pool start
    port: int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="who holds each registry port right now")
    p.add_argument("names", nargs="*", metavar="NAME", help="services, groups or models (default: all)")
    p.add_argument("--json", action="store_true", help="the whole snapshot as JSON")
    p.add_argument("--all", action="store_true",
                   help="every listening TCP / bound UDP socket of the machine, not only the registry's ports")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("kill", help="stop the processes listening on a port (asks first)")
    p.add_argument("port", type=port_arg, metavar="PORT")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--force", action="store_true", help="SIGKILL at once instead of SIGTERM first")
    p.add_argument("--timeout", type=_seconds, default=5.0, metavar="S",
                   help="seconds to wait after SIGTERM before SIGKILL (default 5)")
    p.set_defaults(func=cmd_kill)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a timeout; give seconds between 0 and 3600")
    return value


# -- status ---------------------------------------------------------------------------------

def status_rows(reg: Registry, names: list[str], allocations_file=None) -> list[StatusRow]:
    """The registry's ports as rows, filtered by service / group / model names."""
    rows: list[StatusRow] = []
    for svc in reg.services.values():
        rows.extend(StatusRow(svc.name, "service", "preferred" if i == 0 else "fallback", port)
                    for i, port in enumerate(svc.ports))
    try:
        slots = model_slots(reg, allocations_file)
        rows.extend(StatusRow(s.unit, "model", "model slot", s.port) for s in slots)
    except PoolFull:
        rows.extend(StatusRow(g.name, "model", "pool start", g.start_port) for g in reg.pools())
    if not names:
        return rows
    unknown = [n for n in names if not any(_matches(r, n) for r in rows) and reg.pool(n) is None]
    if unknown:
        raise CliError(str(UnknownName(unknown[0], reg)))
    return [r for r in rows if any(_matches(r, n) for n in names)]


def _matches(row: StatusRow, name: str) -> bool:
    if row.unit == name:
        return True
    pool, _, model = row.unit.partition("/")
    return row.kind == "model" and name in (pool, model)


def cmd_status(ctx: Context, args: argparse.Namespace) -> int:
    if args.all:
        if args.names:
            raise CliError("status --all lists every port of the machine; give no NAME with it")
        return status_all(ctx, args.json)
    reg = ctx.load_registry()
    rows = status_rows(reg, args.names, ctx.paths.allocations_file)
    with OccupancyScanner() as scanner:
        snap = scanner.scan(r.port for r in rows)
    managed = {(r.unit, r.port): r for r in state.store_for(ctx.paths).records() if r.alive}
    containers = _containers(snap)
    if args.json:
        ctx.print(json.dumps({**snapshot_json(snap), "rows": [
            {"unit": r.unit, "kind": r.kind, "role": r.role, "port": r.port,
             "status": snap.info(r.port).status.value,
             "managed_pid": managed[(r.unit, r.port)].pid if (r.unit, r.port) in managed else None,
             "container": containers.get(r.port)} for r in rows]}, indent=2))
        return EXIT_OK
    table = [("SERVICE/GROUP", "ROLE", "PORT", "STATE", "PID", "NAME", "USER", "ADDRESSES")]
    for row in rows:
        info = snap.info(row.port)
        ours = (row.unit, row.port) in managed
        label = "ours" if ours and info.holders else info.status.value
        lead = (row.unit, row.role, str(row.port), label)
        if not info.holders:
            table.append((*lead, "-", "-", "-", "-"))
        for i, h in enumerate(info.holders):
            name = h.name or "?"
            if row.port in containers:
                name += f" [container {containers[row.port]}]"
            table.append((*(lead if i == 0 else ("", "", "", "")), str(h.pid), name,
                          h.username or "?", _addresses(h)))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for line in table:
        ctx.print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
    notes = _notes(snap, sorted({r.port for r in rows})) + _model_notes(reg, rows, snap)
    if notes:
        ctx.print("")
        for note in notes:
            ctx.print(note)
    return EXIT_OK


def _model_notes(reg: Registry, rows: list[StatusRow], snap: Snapshot) -> list[str]:
    """A llama-swap/ClaraCore slot held by another member's model server: the numbering moved."""
    out = []
    for row in rows:
        pool_name, _, model = row.unit.partition("/")
        pool = reg.pool(pool_name) if row.kind == "model" else None
        if pool is None or not pool.numbered_by:
            continue
        found = serving_other(model, pool.members, (h.cmdline for h in snap.holders(row.port)))
        if found:
            out.append(f"WARNING: port {row.port} is held by the model server of {found[0]}, but "
                       f"{pool.numbered_by} numbers it for {model}; restart {pool.numbered_by} after a config change, "
                       "or import its config again")
    return out


def listener_json(r: Listener) -> dict:
    h = r.holder
    return {"port": r.port, "protocol": r.protocol.value, "addresses": list(r.addresses), "pid": r.pid,
            "name": r.name, "user": r.user, "cmdline": list(h.cmdline) if h else [], "exe": h.exe if h else "",
            "create_time": h.create_time if h else None, "label": r.label,
            "kind": r.kind.value if r.kind else None, "system": r.system, "container": r.container or None,
            "service": r.service or None, "note": r.note}


def status_all(ctx: Context, as_json: bool) -> int:
    """Every listener of the machine, named for what it is, with its registry service."""
    services: dict[int, str] = {}
    if ctx.registry_path.exists():          # a read never writes the default registry
        try:
            reg = ctx.load_registry()
            services = {port: svc.name for svc in reg.services.values() for port in svc.ports}
        except CliError as exc:
            ctx.warn(f"portmanager: the registry does not load, so no port is named for its service: {exc}")
    with OccupancyScanner() as scanner:
        snap = scanner.scan_all()
        os_name = scanner.os_name
    published = docker.published_by(_runtimes(snap))
    rows = listeners(snap, os_name, services, published.container_for, processes.Me.current().username)
    if as_json:
        ctx.print(json.dumps({"taken_at": snap.taken_at, "listeners": [listener_json(r) for r in rows]}, indent=2))
        return EXIT_OK
    table = [("PORT", "PROTO", "PID", "PROCESS", "WHAT", "USER", "ADDRESSES", "SERVICE", "COMMAND")]
    for r in sorted(rows, key=lambda r: (r.port, r.protocol.value, r.pid or 0)):
        what = r.label + (f" [container {r.container}]" if r.container else "")
        cmd = " ".join(r.holder.cmdline) if r.holder else r.note
        table.append((str(r.port), r.protocol.value, str(r.pid) if r.pid else "-", r.name or "?", what or "-",
                      r.user or "?", ",".join(r.addresses) or "-", r.service or "-", cmd[:80]))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for line in table:
        ctx.print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1])
    return EXIT_OK


def _runtimes(snap: Snapshot) -> set[str]:
    """The container runtimes whose forwarders hold a port of ``snap``."""
    return {r for info in snap.ports.values() for h in info.holders if (r := docker.runtime_of(h.name))}


def _containers(snap: Snapshot) -> dict[int, str]:
    """Port -> container name for ports held by a runtime's forwarder (asks the runtime only then)."""
    runtimes = _runtimes(snap)
    if not runtimes:
        return {}
    published = docker.published_by(runtimes)
    forwarded = [p for p, info in snap.ports.items() if any(docker.is_forwarder(h.name) for h in info.holders)]
    return {p: name for p in forwarded if (name := published.container_for(p))}


def _addresses(holder: Holder) -> str:
    text = ",".join(holder.addresses)
    return text + " (udp)" if holder.protocol is Protocol.UDP else text


def _notes(snap: Snapshot, ports: list[int]) -> list[str]:
    out = []
    for port in ports:
        info = snap.info(port)
        if info.note:
            out.append(f"Port {port}: {info.note}")
        for h in info.holders:
            if h.note:
                out.append(f"Port {port}: {h.note}")
    return out


def holder_json(h: Holder) -> dict:
    return {"pid": h.pid, "name": h.name, "exe": h.exe, "cmdline": list(h.cmdline), "username": h.username,
            "create_time": h.create_time, "addresses": list(h.addresses), "protocol": h.protocol.value,
            "note": h.note}


def snapshot_json(snap: Snapshot) -> dict:
    def port(info: PortInfo) -> dict:
        return {"status": info.status.value, "note": info.note, "holders": [holder_json(h) for h in info.holders]}
    return {"taken_at": snap.taken_at, "ports": {str(p): port(i) for p, i in sorted(snap.ports.items())}}


# -- kill -----------------------------------------------------------------------------------

def cmd_kill(ctx: Context, args: argparse.Namespace) -> int:
    port = args.port
    with OccupancyScanner() as scanner:
        plan = processes.plan_kill(port, scanner)
        if plan.free:
            ctx.print(f"Port {port} is free; nothing to kill.")
            return EXIT_OK
        if plan.refused:
            for r in plan.refused:
                ctx.warn(f"portmanager: refused: {r.message}")
            forwarders = [r.holder for r in plan.refused if r.reason is processes.Reason.FORWARDER and r.holder]
            if forwarders:
                return _offer_container_stop(ctx, args, port, docker.runtime_of(forwarders[0].name) or docker.DOCKER)
            ctx.warn(f"Nothing was killed; port {port} stays held.")
            return EXIT_REFUSED
        ctx.print(f"Listening on port {port}:")
        for h in plan.targets:
            ctx.print(f"  {process_info.describe(h)}  [{_addresses(h)}]")
        if not args.yes and not _confirm(ctx, f"Stop {len(plan.targets)} process(es) to free port {port}? [y/N] "):
            ctx.print("Nothing was killed.")
            return EXIT_FAILED
        result = processes.kill(plan, timeout=args.timeout, force=args.force, scanner=scanner)
    forced = {h.pid for h in result.forced}
    for h in result.killed:
        how = f" (killed: it ignored SIGTERM for {args.timeout:g} s)" if h.pid in forced else ""
        ctx.print(f"Stopped {h.describe()}{how}.")
    for h in result.gone:
        ctx.print(f"{h.describe()} had already exited.")
    for r in result.refused:
        ctx.warn(f"portmanager: refused: {r.message}")
    if result.port_free:
        ctx.print(f"Port {port} is free now.")
        return EXIT_REFUSED if result.refused else EXIT_OK
    holders = ", ".join(h.describe() for h in result.still_holding) or result.note or result.status.value
    ctx.warn(f"Port {port} is still held by: {holders}")
    return EXIT_REFUSED if result.refused else EXIT_FAILED


def _offer_container_stop(ctx: Context, args: argparse.Namespace, port: int, runtime: str) -> int:
    """A container publishes the port: offer the runtime's own stop instead of a kill."""
    published = docker.published_ports(runtime=runtime)
    container = published.container_for(port, "tcp") or published.container_for(port, "udp")
    if container is None:
        why = published.reason or f"no running container publishes port {port}"
        ctx.warn(f"Nothing was killed; port {port} stays held (cannot name its container: {why}).")
        return EXIT_REFUSED
    ctx.print(f"Port {port} is published by container {container}.")
    if not args.yes and not _confirm(ctx, f"Stop container {container} ({runtime} stop {container})? [y/N] "):
        ctx.print("Nothing was stopped.")
        return EXIT_FAILED
    result = docker.stop_container(container, runtime=runtime)
    if not result.ok:
        ctx.warn(f"portmanager: stopping container {container} failed: {result.message}")
        return EXIT_FAILED
    ctx.print(f"Stopped container {container}; port {port} is released by {docker.ENGINE.get(runtime, runtime)}.")
    return EXIT_OK


def _confirm(ctx: Context, prompt: str) -> bool:
    ctx.out.write(prompt)
    ctx.out.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")
