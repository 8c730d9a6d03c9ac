"""Import, export and linked files: ``import``, ``export``, ``link add|remove|list|sync``.

"Modify once, apply everywhere": after ``import`` the registry holds the ports of a
ClaraCore config, a ``ports_config.py``, a ``.env`` or a compose file; linked files are
rewritten on every registry save (``after_save``), and the running services whose port
moved are listed with the ``portmanager restart`` command to run.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.atomic_write import write_atomic
from ..core.interop import exporters, llamaswap
from ..core.interop import links as links_mod
from ..core.interop.changes import ChangeKind
from ..core.interop.detect import KINDS as IMPORT_KINDS
from ..core.interop.detect import LABELS, guess_kind, import_file
from ..core.interop.errors import InteropError, read_text
from ..core.interop.links import LINK_KIND_OF_IMPORT, Link, LinksError
from ..core.interop.llamaswap_import import proxy_service
from ..core.interop.result import ImportResult
from ..core.interop.sync import Status, SyncReport, apply_link, apply_links, backup_path
from ..core.occupancy.scan import OccupancyScanner
from ..core.registry.model import UNGROUPED, Group, Registry
from .commands import HELP
from .context import CliError, Context
from .occupancy_cmds import live_reports, live_warning
from .save_path import after_save, print_sync

_MARKS = {ChangeKind.ADD_SERVICE: "+", ChangeKind.ADD_GROUP: "+"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help=HELP["import"])
    p.add_argument("file", metavar="FILE")
    p.add_argument("--as", dest="kind", choices=IMPORT_KINDS, help="the kind of file (default: guessed from it)")
    p.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    p.add_argument("--yes", "-y", action="store_true", help="apply without asking")
    p.add_argument("--link", action="store_true",
                   help="keep FILE in step with the registry from now on (ClaraCore, Python and .env files)")
    p.add_argument("--fix-start-port", action="store_true",
                   help="ClaraCore migration: move a startPort equal to ClaraCore's web UI port to 8100")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help=HELP["export"])
    p.add_argument("--format", "-f", choices=exporters.FORMATS, help="default: from the -o file's name")
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (an existing .py/.env is updated in place)")
    p.add_argument("--link", action="store_true", help="rewrite FILE on every registry save from now on")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("link", help=HELP["link"])
    lsub = p.add_subparsers(dest="link_command", metavar="ACTION")
    lsub.required = True
    q = lsub.add_parser("add", help="link a file: claracore (write back startPort) or an output")
    q.add_argument("kind", choices=links_mod.KINDS, metavar="KIND", help=", ".join(links_mod.KINDS))
    q.add_argument("file", metavar="FILE")
    q.set_defaults(func=cmd_link_add)
    q = lsub.add_parser("remove", help="stop updating a file (the file itself is kept)")
    q.add_argument("file", metavar="FILE")
    q.set_defaults(func=cmd_link_remove)
    q = lsub.add_parser("list", help="linked files and whether they are in step")
    q.set_defaults(func=cmd_link_list)
    q = lsub.add_parser("sync", help="write every linked file now")
    q.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    q.set_defaults(func=cmd_link_sync)


# -- import -------------------------------------------------------------------------------

def _print_preview(ctx: Context, result: ImportResult) -> None:
    ctx.print(f"Import from {result.source} ({LABELS[result.kind]}) into {ctx.registry_path}:")
    changes = result.changes
    for change in changes:
        ctx.print(f"  {_MARKS.get(change.kind, '~')} {change.describe()}")
    if not changes:
        ctx.print("  no changes: the registry already has these ports")
    if result.runtime:
        pool = result.registry.models
        ports = ", ".join(f"{m} {pool.start_port + i}" for i, m in enumerate(pool.members)) or "none"
        ctx.print(f"  model ports as {result.runtime} numbers them (from startPort {pool.start_port}): {ports}")
    for finding in result.findings:
        ctx.print(f"  note: {finding}")
    if result.clash is not None:
        ctx.warn(f"WARNING: {result.clash}")
        ctx.warn("  Rerun with --fix-start-port to apply the fix.")


def _warn_live(ctx: Context, reg: Registry) -> None:
    """Where the running llama-swap/ClaraCore really has its models (loopback ``/running`` and
    llama-server command lines), beside the ports this import gives them."""
    with OccupancyScanner() as scanner:
        units = {f"{g.name}/{m}" for g in reg.pools() if g.numbered_by for m in g.members}
        reports = live_reports(reg, scanner, units)
    for rep in reports:
        for m in rep.models:
            if m.mismatch:
                ctx.warn(live_warning(rep.runtime, m))
            elif m.actual is not None:
                ctx.print(f"  live: {m.model} on {m.actual} ({m.state or 'running'}), as expected")


def _confirm(ctx: Context, question: str) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        raise CliError("not applied: there is no terminal to ask; rerun with --yes (nothing was written)", 3)
    print(f"{question} [y/N] ", end="", file=ctx.out, flush=True)
    try:
        answer = input()
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    path = links_mod.normalize(args.file)
    old = ctx.load_registry()
    try:
        kind = args.kind or guess_kind(path)
        if args.link and kind not in LINK_KIND_OF_IMPORT:
            raise CliError(f"--link: Port Manager does not write {LABELS[kind]}s; import without --link "
                           "(and keep the file in step by hand)")
        result = import_file(path, old, kind)
    except InteropError as exc:
        raise CliError(f"{exc} (nothing was written)") from None
    if args.fix_start_port:
        if result.clash is None:
            ctx.print("--fix-start-port: startPort does not collide with ClaraCore's web UI port; nothing to fix")
        result = result.with_clash_fixed()
    _print_preview(ctx, result)
    if result.runtime:
        _warn_live(ctx, result.registry)
    changes = result.changes
    if args.dry_run:
        ctx.print("Dry run: nothing was written.")
        return 0
    if changes and not args.yes and not _confirm(ctx, f"Apply {len(changes)} change(s) to {ctx.registry_path}?"):
        ctx.print("Nothing was written.")
        return 0
    if changes:
        saved = ctx.save_registry(result.registry)
        ctx.print(f"Saved {saved}.")
    if args.link:
        _add_link(ctx, Link(LINK_KIND_OF_IMPORT[kind], path))
    report = after_save(ctx, old, result.registry) if changes or args.link else SyncReport()
    return 0 if report.ok else 1


# -- export -------------------------------------------------------------------------------

def _format_for(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    if args.output:
        name = Path(args.output).name.lower()
        for fmt, suffix in exporters.SUFFIXES.items():
            if name.endswith(suffix) or (fmt == "env" and name.startswith(".env")):
                return fmt
    raise CliError("give --format python|js|env|json (or an -o FILE ending in .py, .js, .env or .json)")


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    fmt = _format_for(args)
    reg = ctx.load_registry()
    if not args.output:
        if args.link:
            raise CliError("--link needs -o FILE: the file to keep in step")
        ctx.out.write(exporters.render(fmt, reg))
        return 0
    path = links_mod.normalize(args.output)
    try:
        existing = read_text(path) if path.exists() else None
        rendered = exporters.output(fmt, reg, existing, str(path))
    except InteropError as exc:
        raise CliError(f"{exc} (nothing was written)") from None
    if rendered.text == existing:
        ctx.print(f"{path} is already up to date")
    else:
        try:
            if existing is not None:
                write_atomic(backup_path(ctx.paths.state_dir / "backups", path), existing, backup=False)
            write_atomic(path, rendered.text, backup=False)
        except OSError as exc:
            raise CliError(f"{path}: cannot be written ({exc.strerror or exc}); nothing was changed", 1) from None
        ctx.print(f"Wrote {path}: {'; '.join(rendered.changes) or 'created'}")
    if args.link:
        _add_link(ctx, Link(fmt, path))
    return 0


# -- link ---------------------------------------------------------------------------------

def _load_links(ctx: Context) -> links_mod.Links:
    try:
        return links_mod.load(ctx.paths)
    except LinksError as exc:
        raise CliError(str(exc)) from None


def _add_link(ctx: Context, link: Link) -> None:
    try:
        before, _ = links_mod.update(ctx.paths, lambda links: links.with_link(link))
    except LinksError as exc:
        raise CliError(str(exc)) from None
    previous = before.find(link.path)
    if previous == link:
        ctx.print(f"{link.path} is already linked as {link.kind}.")
        return
    again = " (was " + previous.kind + ")" if previous and previous.kind != link.kind else ""
    ctx.print(f"Linked {link.path} as {link.kind}{again}: it is rewritten on every registry save.")


def _check_linkable(link: Link) -> None:
    if link.kind == "claracore":
        llamaswap.load(link.path)
    elif link.path.exists():
        # An existing .py/.env must be one Port Manager can update without running it.
        exporters.output(link.kind, Registry({}, {}, Group(UNGROUPED, 8100)), read_text(link.path), str(link.path))
    elif not link.path.parent.is_dir():
        raise InteropError(link.path, None, f"its folder {link.path.parent} does not exist; create it first")


def cmd_link_add(ctx: Context, args: argparse.Namespace) -> int:
    link = Link(args.kind, links_mod.normalize(args.file))
    try:
        _check_linkable(link)
    except InteropError as exc:
        raise CliError(f"{exc} (not linked)") from None
    _add_link(ctx, link)
    pending = apply_link(link, ctx.load_registry(), dry_run=True)
    if pending.status is Status.WRITTEN:
        ctx.print(f"On the next save (or `portmanager link sync`): {'; '.join(pending.changes)}")
    return 0


def cmd_link_remove(ctx: Context, args: argparse.Namespace) -> int:
    path = links_mod.normalize(args.file)
    try:
        before, _ = links_mod.update(ctx.paths, lambda links: links.without(path))
    except LinksError as exc:
        raise CliError(str(exc)) from None
    if before.find(path) is None:
        known = ", ".join(str(x.path) for x in before.items) or "none"
        raise CliError(f"{path} is not linked (linked: {known})")
    ctx.print(f"Unlinked {path}; the file itself was not changed.")
    return 0


def cmd_link_list(ctx: Context, args: argparse.Namespace) -> int:
    links = _load_links(ctx)
    if not links.items:
        ctx.print("No linked files. Link one with `portmanager import FILE --link`, "
                  "`portmanager export -o FILE --link` or `portmanager link add KIND FILE`.")
        return 0
    reg = ctx.load_registry()
    ok = True
    for link in links.items:
        outcome = apply_link(link, reg, dry_run=True)
        if outcome.status is Status.FAILED:
            state, ok = f"ERROR: {outcome.error}", False
        elif outcome.status is Status.WRITTEN:
            state = "out of step, next save writes: " + "; ".join(outcome.changes)
        else:
            state = "in step"
        ctx.print(f"{link.kind:10} {link.path}\n{'':10} {state}")
        if link.kind == "claracore" and outcome.status is not Status.FAILED:
            _warn_clash(ctx, link, reg)
    return 0 if ok else 1


def _warn_clash(ctx: Context, link: Link, reg: Registry) -> None:
    cfg = llamaswap.load(link.path)
    name = proxy_service(cfg.runtime)
    listen = reg.services[name].preferred if name in reg.services else cfg.effective_listen
    if reg.models.start_port == listen:
        ctx.warn(f"{'':10} WARNING: startPort {listen} is {cfg.runtime}'s own web UI port. "
                 "Fix: portmanager group models --start 8100")


def cmd_link_sync(ctx: Context, args: argparse.Namespace) -> int:
    _load_links(ctx)
    report = apply_links(ctx.load_registry(), ctx.paths, dry_run=args.dry_run)
    print_sync(ctx, report, dry_run=args.dry_run)
    if report.ok and not report.written:
        ctx.print("Every linked file is in step.")
    return 0 if report.ok else 1
