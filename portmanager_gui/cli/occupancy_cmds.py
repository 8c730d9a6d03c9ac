"""Live occupancy subcommands: ``status [--json] [NAME...]`` and ``kill PORT``.

``status`` shows every registry port -- each service's candidates (preferred, fallback) and
each model server's slot -- with who holds it right now. ``kill`` stops the processes
listening on exactly one port, after a confirmation, with the safety rules of
``core.processes`` (exit 3 when refused).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..core.interop import docker
from ..core.occupancy.scan import OccupancyScanner
from ..core.occupancy.snapshot import Holder, PortInfo, Protocol, Snapshot
from ..core.ports.selection import PoolFull, model_slots
from ..core.registry.model import Registry, UnknownName
from ..core.supervisor import records as state
from .commands import HELP
from .context import CliError, Context
from .registry_cmds import port_arg
from .state_text import state_damage_text

if TYPE_CHECKING:   # imported where used: `status` of the registry's ports needs none of them
    from ..core.interop import live
    from ..core.occupancy.listeners import Listener

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 3


@dataclass(frozen=True)
class StatusRow:
    """One line of ``portmanager status`` (and one object of its JSON)."""

    unit: str           # service name, or "pool/model"
    kind: str           # "service" or "model"
    role: str           # preferred / fallback / model slot / pool start
    port: int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help=HELP["status"])
    p.add_argument("names", nargs="*", metavar="NAME", help="services, groups or models (default: all)")
    p.add_argument("--json", action="store_true", help="the whole snapshot as JSON")
    p.add_argument("--all", action="store_true",
                   help="every listening TCP / bound UDP socket of the machine, not only the registry's ports")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("kill", help=HELP["kill"])
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
        reports = live_reports(reg, scanner, {r.unit for r in rows if r.kind == "model"})
    read = state.store_for(ctx.paths).read()
    managed = {(r.unit, r.port): r for r in read.records if r.alive}
    if read.damage is not None:   # "ours" may be missing from the table: say why
        ctx.warn(f"WARNING: {state_damage_text(read.damage)}")
    containers = _containers(snap)
    if args.json:
        ctx.print_json({**snapshot_json(snap), "rows": [
            {"unit": r.unit, "kind": r.kind, "role": r.role, "port": r.port,
             "status": snap.info(r.port).status.value,
             "managed_pid": managed[(r.unit, r.port)].pid if (r.unit, r.port) in managed else None,
             "container": containers.get(r.port)} for r in rows],
            "models": [model_json(rep, m) for rep in reports for m in rep.models]
            + [unknown_json(rep, r) for rep in reports for r in rep.unknown]})
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
            from ..core.occupancy.recognition import (
                named,  # a holder to name: a port is held
            )

            name = named(h)
            if row.port in containers:
                name += f" [container {containers[row.port]}]"
            table.append((*(lead if i == 0 else ("", "", "", "")), str(h.pid), name,
                          h.username or "?", _addresses(h)))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for line in table:
        ctx.print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
    print_live(ctx, reports)
    notes = _notes(snap, sorted({r.port for r in rows}))
    if notes:
        ctx.print("")
        for note in notes:
            ctx.print(note)
    return EXIT_OK


def live_reports(reg: Registry, scanner: OccupancyScanner, units: set[str]) -> tuple[live.LiveReport, ...]:
    """Each llama-swap/ClaraCore pool's live truth, its models limited to ``units`` (none: no scan)."""
    pools = [g for g in reg.pools() if g.numbered_by and any(u.partition("/")[0] == g.name for u in units)]
    if not pools:
        return ()
    from ..core.interop import live

    snap = scanner.scan_all()       # a model server may listen on a port the registry does not know
    holders = [(port, h.cmdline) for port, info in snap.ports.items() for h in info.holders]
    out = []
    for rep in live.report(reg, holders):
        models = tuple(m for m in rep.models if f"{rep.pool}/{m.model}" in units)
        unknown = rep.unknown if len(models) == len(rep.models) else ()    # only when the whole pool was asked
        if models or unknown:
            out.append(replace(rep, models=models, unknown=unknown))
    return tuple(out)


def model_json(rep: live.LiveReport, m: live.ModelCheck) -> dict:
    return {"pool": rep.pool, "runtime": rep.runtime, "model": m.model, "expected": m.expected,
            "actual": m.actual, "state": m.state or ("not running" if m.actual is None else "running"),
            "source": m.source or None, "api_port": rep.api_port, "held_by": m.held_by or None,
            "mismatch": m.mismatch}


def unknown_json(rep: live.LiveReport, r: live.RunningModel) -> dict:
    """A model the proxy runs that the registry does not have: the config changed since its import."""
    return {"pool": rep.pool, "runtime": rep.runtime, "model": r.model, "expected": None, "actual": r.port,
            "state": r.state, "source": "api", "api_port": rep.api_port, "held_by": None, "mismatch": True}


def live_warning(runtime: str, m: live.ModelCheck) -> str:
    """One sentence for a model that is not where the registry says."""
    fix = (f"restart {runtime} after a config change, or import its config again "
           f"(portmanager import config.yaml) so the registry follows it")
    if m.moved:
        said = f"{runtime} /running says {m.state}" if m.source == "api" else "its llama-server command line says so"
        where = f"model {m.model} runs on port {m.actual} ({said}), but the registry expects {m.expected}"
        if m.held_by:
            where += f", where the model server of {m.held_by} runs"
        return f"WARNING: {where}; {fix}"
    return (f"WARNING: port {m.expected} is held by the model server of {m.held_by}, but {runtime} numbers it "
            f"for {m.model}; {fix}")


def print_live(ctx: Context, reports: tuple[live.LiveReport, ...]) -> None:
    """The registry's port beside the real one for each model a llama-swap/ClaraCore pool has."""
    for rep in reports:
        source = f"its /running on port {rep.api_port}" if rep.api_port else \
            f"model server command lines; {rep.runtime}'s /running did not answer"
        ctx.print("")
        ctx.print(f"{rep.runtime} models, live ({source}):")
        table = [("MODEL", "REGISTRY", "ACTUAL", "STATE", "")]
        for m in rep.models:
            state = m.state or ("not running" if m.actual is None else "running")
            mark = "MISMATCH" if m.mismatch else ("ok" if m.actual is not None else "")
            table.append((m.model, str(m.expected), str(m.actual) if m.actual is not None else "-", state, mark))
        for r in rep.unknown:
            table.append((r.model, "-", str(r.port) if r.port is not None else "-", r.state or "running",
                          "NOT IN REGISTRY"))
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        for line in table:
            ctx.print("  " + "  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        for m in rep.mismatches:
            ctx.print(live_warning(rep.runtime, m))
        for r in rep.unknown:
            where = f" on port {r.port}" if r.port is not None else ""
            ctx.print(f"WARNING: {rep.runtime} runs model {r.model}{where}, which the registry does not have; "
                      f"import {rep.runtime}'s config again (portmanager import config.yaml)")


def listener_json(r: Listener) -> dict:
    h = r.holder
    return {"port": r.port, "protocol": r.protocol.value, "addresses": list(r.addresses), "pid": r.pid,
            "name": r.name, "user": r.user, "cmdline": list(h.cmdline) if h else [], "exe": h.exe if h else "",
            "create_time": h.create_time if h else None, "label": r.label,
            "kind": r.kind.value if r.kind else None, "system": r.system, "container": r.container or None,
            "service": r.service or None, "note": r.note}


def status_all(ctx: Context, as_json: bool) -> int:
    """Every listener of the machine, named for what it is, with its registry service."""
    from ..core.kill import policy as processes
    from ..core.occupancy import process_info
    from ..core.occupancy.listeners import listeners, registry_ports

    services: dict[int, str] = {}
    if ctx.registry_path.exists():          # a read never writes the default registry
        try:
            reg = ctx.load_registry()
            try:
                slots = model_slots(reg, ctx.paths.allocations_file)
            except PoolFull as exc:
                slots = ()
                ctx.warn(f"portmanager: {exc}; no port is named for a model of it")
            services = registry_ports(reg, slots)
        except CliError as exc:
            ctx.warn(f"portmanager: the registry does not load, so no port is named for its service: {exc}")
    with OccupancyScanner() as scanner:
        snap = scanner.scan_all()
        os_name = scanner.os_name
    published = docker.published_by(_runtimes(snap))
    rows = listeners(snap, os_name, services, published.container_for, processes.Me.current().username)
    if as_json:
        ctx.print_json({"taken_at": snap.taken_at, "listeners": [listener_json(r) for r in rows]})
        return EXIT_OK
    table = [("PORT", "PROTO", "PID", "PROCESS", "WHAT", "USER", "ADDRESSES", "SERVICE", "COMMAND")]
    for r in sorted(rows, key=lambda r: (r.port, r.protocol.value, r.pid or 0)):
        what = r.label + (f" [container {r.container}]" if r.container else "")
        cmd = process_info.one_line(r.holder.cmdline) if r.holder else r.note
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
    from ..core.kill import policy as processes
    from ..core.occupancy import process_info
    from ..core.supervisor import explicit_kill
    from ..text.kill import refusal_text

    port = args.port
    with OccupancyScanner() as scanner:
        plan = processes.plan_kill(port, scanner)
        if plan.free:
            ctx.print(f"Port {port} is free; nothing to kill.")
            return EXIT_OK
        if plan.refused:
            for r in plan.refused:
                ctx.warn(f"portmanager: refused: {refusal_text(r)}")
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
        result = explicit_kill.kill(plan, ctx.paths, timeout=args.timeout, force=args.force, scanner=scanner)
    forced = {h.pid for h in result.forced}
    for h in result.killed:
        how = f" (killed: it ignored SIGTERM for {args.timeout:g} s)" if h.pid in forced else ""
        ctx.print(f"Stopped {h.describe()}{how}.")
    for h in result.gone:
        ctx.print(f"{h.describe()} had already exited.")
    for r in result.refused:
        ctx.warn(f"portmanager: refused: {refusal_text(r)}")
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
        from ..text.kill import container_stop_failure

        ctx.warn(f"portmanager: stopping container {container} failed: {container_stop_failure(result)}")
        return EXIT_FAILED
    ctx.print(f"Stopped container {container}; port {port} is released by {docker.ENGINE.get(runtime, runtime)}.")
    return EXIT_OK


def _confirm(ctx: Context, prompt: str) -> bool:
    ctx.out.write(prompt)
    ctx.out.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")
