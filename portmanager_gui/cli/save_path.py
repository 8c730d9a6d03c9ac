"""What follows every registry save from the command line: linked files rewritten, and the
running services whose port changed listed with the command that restarts them."""
from __future__ import annotations

from ..core.interop import links as links_mod
from ..core.interop.changes import changed_units
from ..core.interop.links import LinksError
from ..core.interop.sync import Status, SyncReport, apply_links
from ..core.registry.model import Registry
from .context import Context


def running_units(ctx: Context) -> list[str]:
    """Units Port Manager started (or adopted) that are alive now."""
    from ..core.supervisor import records as state

    return [r.unit for r in state.store_for(ctx.paths).records() if r.alive]


def _consumers(ctx: Context, registry: Registry) -> tuple[str, ...]:
    """The frontend reads config.js: it needs a restart when a linked config.js changed."""
    try:
        has_js = bool(links_mod.load(ctx.paths).of_kind("js"))
    except LinksError:
        has_js = False
    return ("frontend",) if has_js and "frontend" in registry.services else ()


def print_sync(ctx: Context, report: SyncReport, dry_run: bool = False) -> None:
    if report.error:
        ctx.warn(f"ERROR: {report.error}")
    for o in report.outcomes:
        label = f"{o.link.path} ({o.link.kind})"
        if o.status is Status.WRITTEN:
            ctx.print(f"{'Would update' if dry_run else 'Updated'} {label}: {'; '.join(o.changes)}")
        elif o.status is Status.FAILED:
            ctx.warn(f"ERROR: {o.error}")


def print_restarts(ctx: Context, old: Registry, new: Registry) -> list[str]:
    units = changed_units(old, new, running_units(ctx), consumers=_consumers(ctx, new))
    if units:
        ctx.print("")
        ctx.print("These running services use a port that changed; restart them to apply it:")
        for unit in units:
            ctx.print(f"  portmanager restart {unit}")
    return units


def after_save(ctx: Context, old: Registry, new: Registry) -> SyncReport:
    """Call after every registry save: rewrite linked files, offer restarts. Never raises."""
    report = apply_links(new, ctx.paths)
    print_sync(ctx, report)
    print_restarts(ctx, old, new)
    return report
