"""The desktop app's composition root: builds every object and wires them. Nothing else does.

``main()`` is ``python main.py``, ``portmanager-gui`` and ``make run``. ``build()`` makes the
same object graph without running the event loop (the GUI benchmark uses it).
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QSocketNotifier, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from . import first_use, qt_start, wiring  # noqa: F401  -- qt_start first: PySide6 tuned before the app's own modules load
from .core import paths as core_paths
from .core import settings as core_settings
from .core.occupancy.container_names import ContainerNames
from .core.occupancy.scan import OccupancyScanner
from .core.platform import current_os
from .core.platform.display import read_display_problem
from .core.port_rows import Overall
from .core.resources import bundle_dir, resource_path
from .core.supervisor import logfiles
from .core.supervisor import records as supervisor_records
from .services.controller import Controller
from .services.log_follower import LogFollower
from .services.quit_flow import QuitFlow, QuitState
from .services.registry_store import RegistryStore
from .services.scanner import Scanner
from .services.settings_keeper import SettingsKeeper
from .ui import icons, text
from .ui.application import Application
from .ui.main_window import MainWindow
from .ui.presenter import Asks, Desktop, Presenter

if TYPE_CHECKING:   # built after the first paint (build_rest) or for a real launch only: imported there
    from .core.occupancy.listener_groups import ListenerFeed
    from .core.occupancy.owner_seed_linux import OwnerSeed
    from .services.facts_loader import FactsLoader
    from .services.live_models import LiveModels
    from .ui.all_ports_presenter import AllPortsPresenter
    from .ui.all_ports_tab import AllPortsTab
    from .ui.interop_presenter import InteropAsks, InteropPresenter
    from .ui.tray import Tray

TRAY_WAIT_MS = 5000      # at login the tray host may start after us

log = logging.getLogger(__name__)


@dataclass
class Parts:
    """Every object of the running app, built and wired by ``build`` (and ``build_rest``)."""

    app: Application
    paths: core_paths.Paths
    store: RegistryStore
    scanner: Scanner
    controller: Controller
    window: MainWindow
    presenter: Presenter
    tray: Tray | None = None
    interop: InteropPresenter | None = None
    facts: FactsLoader | None = None
    quit: QuitFlow | None = None
    all_scanner: Scanner | None = None      # every listener of the machine (All ports, tray)
    all_ports: AllPortsTab | None = None
    live: LiveModels | None = None          # llama-swap/ClaraCore's real model ports
    all_presenter: AllPortsPresenter | None = None
    all_feed: ListenerFeed | None = None
    settings_keeper: SettingsKeeper | None = None
    occupancy: list[OccupancyScanner] = dataclasses.field(default_factory=list)   # closed at shutdown
    links: list[wiring.Link] = dataclasses.field(default_factory=list)   # every connection wiring made
    interop_asks: InteropAsks | None = None
    owner_seed: OwnerSeed | None = None     # the launch's first walk of /proc, for the first scan
    rest_built: bool = False                # build_rest ran (facts, linked files, All ports)
    shut_down: bool = False                 # shutdown ran


def load_tray_icons(os_name: str) -> dict[Overall, QIcon]:
    """The tray's state icons, from the files tools/make_icons.py made of resources/icon.svg."""
    out = {}
    for state in Overall:
        names, mask = icons.tray_icon_files(state, os_name)
        icon = QIcon()
        for name in names:
            icon.addFile(str(resource_path("tray", name)))
        icon.setIsMask(mask)
        out[state] = icon
    return out


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        icon.addFile(str(resource_path("icons", f"portmanager-{size}.png")))
    return icon


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="portmanager-gui", description="Port Manager tray app")
    ap.add_argument("--registry", metavar="FILE", help="use this registry file instead of the default one")
    ap.add_argument("--smoke", action="store_true", help="start, take one snapshot, paint the window, exit 0")
    ap.add_argument("--show", action="store_true", help="open the window at start (the tray icon still shows)")
    ap.add_argument("--no-tray", action="store_true", help="never use the tray: the window is the app")
    return ap.parse_args(argv)


def build(app: Application, args: argparse.Namespace, paths: core_paths.Paths, *,
          asks: Asks | None = None, desktop: Desktop | None = None,
          interop_asks: InteropAsks | None = None, exit_app: Callable[[int], None] | None = None,
          paint_first: bool = False, owner_seed: OwnerSeed | None = None) -> Parts:
    """Every object of the app, wired; nothing started yet.

    ``asks``, ``interop_asks`` and ``desktop`` replace the modal questions and the
    browser/clipboard, ``exit_app`` leaving the event loop (tests). With ``paint_first``
    (``main``), what the first painted snapshot does not need -- the Services and Groups
    editors, the OS facts, linked files and the All ports tab -- is left to ``build_rest``,
    which ``start`` runs after that paint. ``owner_seed`` (Linux, from ``entry.run``) is the
    launch's walk of /proc, taken by the first registry scan.
    """
    settings = core_settings.load(paths.settings_file)
    explicit = bool(args.registry)
    registry_path = Path(args.registry).expanduser() if explicit else paths.registry_file
    # Every QObject is the window's child (or its child's): ``dispose`` deletes them all at once on
    # the GUI thread, never Python's collector from whatever thread it runs on.
    window = MainWindow(confirm=lambda title, body: first_use.ask_yes_no(window, title, body),
                        editors=not paint_first)
    store = RegistryStore(registry_path, allocations_file=paths.allocations_file, create_default=not explicit,
                          parent=window)
    occupancy = OccupancyScanner(owner_seed=owner_seed)
    kill_scanner = OccupancyScanner()   # its own: a kill runs on another thread than the scans
    cancel = threading.Event()          # set by Quit: a start in progress is abandoned
    controller = Controller(lambda reg, on_event: first_use.supervisor(reg, paths, on_event, cancel),
                            plan_kill=lambda port: first_use.kill_policy().plan_kill(port, kill_scanner),
                            kill=lambda plan: first_use.explicit_kill(plan, paths, kill_scanner),
                            stop_container=first_use.stop_container,
                            parent=window)
    containers = ContainerNames()       # asks Docker only when docker-proxy holds a port
    scanner = Scanner(lambda ports: containers(occupancy.scan(ports)), records=supervisor_records.store_for(paths).read,
                      interval_ms=settings.refresh_ms, parent=window)
    clipboard = QGuiApplication.clipboard()
    desktop = desktop or Desktop(open_url=first_use.open_url, copy=lambda url: clipboard.setText(url))
    asks = asks or Asks(confirm=lambda t, x: first_use.ask_yes_no(window, t, x),
                        kill=first_use.ask_kill, all_taken=first_use.ask_all_taken, settings=first_use.ask_settings)
    logs = LogFollower(lambda unit: logfiles.log_path(paths, unit), logfiles.tail,
                       lambda: window.isVisible() and not window.isMinimized(), parent=window)
    presenter = Presenter(window, scanner, controller, store, settings=settings, asks=asks, desktop=desktop,
                          logs=logs, parent=window)
    quit_flow = QuitFlow(controller, exit_app or app.exit, lambda: presenter.settings.stop_on_quit, cancel,
                         parent=window)
    tray = None
    if not args.no_tray and not args.smoke:
        # a real launch only: --smoke and --no-tray build no tray
        from .ui.tray import Tray, TrayActions

        tray = Tray(current_os(), TrayActions(
            start=presenter.start, stop=controller.stop, restart=presenter.restart, open_url=desktop.open_url,
            copy_url=desktop.copy, kill=controller.plan_kill, show_window=window.bring_to_front,
            settings=presenter.edit_settings, quit=quit_flow.request, back=presenter.back_to_preferred),
            load_tray_icons(current_os()), parent=window, notify=first_use.notifier())
    parts = Parts(app, paths, store, scanner, controller, window, presenter, tray=tray, quit=quit_flow,
                  occupancy=[occupancy, kill_scanner], interop_asks=interop_asks, owner_seed=owner_seed)
    parts.links = wiring.connect(wiring.presenter_links(presenter, window, store, scanner, controller, logs))
    parts.links += wiring.connect(wiring.shell_links(presenter, window, tray, quit_flow))
    # Built now, not with the rest: settings chosen before the first paint (a slow first scan)
    # must reach the file.
    parts.settings_keeper = SettingsKeeper(paths.settings_file, parent=window)
    parts.links += wiring.connect(wiring.settings_links(presenter, parts.settings_keeper))
    app.quit_handler = parts.quit.intercept_quit   # macOS Quit, logout, QApplication.quit(): the same flow
    app.aboutToQuit.connect(parts.quit.session_ending)   # Windows' end of session: no Quit event first
    if not paint_first:
        build_rest(parts)
    return parts


def build_rest(parts: Parts) -> None:
    """The parts the first painted snapshot does not need: the Services and Groups editors, OS
    facts, linked files, All ports."""
    from .services.facts_loader import FactsLoader
    from .services.interop_worker import InteropWorker
    from .ui.interop_presenter import InteropPresenter

    if parts.rest_built:
        return
    parts.rest_built = True
    window = parts.window
    window.build_editors()
    parts.facts = FactsLoader(parent=window)
    parts.interop = InteropPresenter(window, parts.store, InteropWorker(parts.paths, parent=window),
                                     parts.presenter.restart, asks=parts.interop_asks, parent=window)
    parts.links += wiring.connect([(parts.facts.loaded, window.set_facts)])
    parts.links += wiring.connect(wiring.interop_links(parts.interop, window, parts.store, parts.scanner))
    _build_all_ports(parts, parts.presenter.settings.refresh_ms)
    registry = parts.store.registry
    if registry is not None:           # loaded before the rest was built: what they missed
        parts.interop.registry = registry
        if parts.live is not None:
            parts.live.set_registry(registry)
        if parts.all_presenter is not None:
            parts.all_presenter.on_registry(registry)


def _build_all_ports(parts: Parts, interval_ms: int) -> None:
    """The All ports tab and the tray's "Other ports": one machine-wide scan on its own worker,
    run while the tab is shown or the tray menu opens (``AllPortsPresenter``)."""
    from .core.occupancy.listener_groups import ListenerFeed
    from .ui.all_ports_presenter import AllPortsHooks, AllPortsPresenter
    from .ui.all_ports_tab import AllPortsTab

    me_user = first_use.kill_policy().Me.current().username
    everything = OccupancyScanner()
    parts.occupancy.append(everything)
    containers = ContainerNames()       # asks a container runtime only when its forwarder holds a port
    parts.all_feed = ListenerFeed(everything.scan_all, containers, lambda: containers.last,
                                  lambda: parts.presenter.registry, current_os(), me_user,
                                  slots=lambda: parts.store.slots)
    parts.all_scanner = Scanner(parts.all_feed, interval_ms=interval_ms, parent=parts.window)
    parts.all_ports = AllPortsTab()
    parts.window.tabs.addTab(parts.all_ports, "All ports")
    p = parts.presenter
    hooks = AllPortsHooks(registry=lambda: p.registry, save=parts.store.save, confirm=p.asks.confirm,
                          notify=p.notify, plan_kill=parts.controller.plan_kill,
                          stop_container=parts.controller.stop_container)
    parts.all_presenter = AllPortsPresenter(parts.all_ports, parts.all_scanner, parts.all_feed, hooks, me_user,
                                            parent=parts.window)
    parts.links += wiring.connect(wiring.all_ports_links(parts.all_presenter, parts.all_ports, parts.all_scanner,
                                                         parts.tray, parts.controller))
    _build_live(parts)


def _build_live(parts: Parts) -> None:
    """Each machine-wide scan also says where a running llama-swap/ClaraCore has its models."""
    from .services.live_models import LiveModels

    parts.live = LiveModels(parent=parts.window)
    assert parts.all_scanner is not None and parts.all_presenter is not None and parts.interop is not None
    parts.links += wiring.connect(wiring.live_links(parts.live, parts.all_scanner, parts.store, parts.all_presenter,
                                                    parts.interop, parts.presenter))


def start(parts: Parts) -> None:
    """Paint first, then the rest: the registry is loaded and scanned at once; the OS facts,
    linked files, machine-wide scan, crash watch and start-at-login check begin once the first
    snapshot is on screen -- or the registry failed to load, or the scan failed (issue 16)."""
    begun: list[bool] = []

    def rest(*_: object) -> None:
        if begun or parts.quit is not None and parts.quit.state is not QuitState.RUNNING:
            return
        begun.append(True)
        for signal_, slot in connections:
            signal_.disconnect(slot)
        QTimer.singleShot(0, parts.window, lambda: _start_rest(parts))   # after the paint just asked for

    connections = [(parts.presenter.rows_changed, lambda _rows: rest() if parts.presenter.snapshot else None),
                   (parts.store.load_failed, rest), (parts.scanner.scan_failed, rest)]
    for signal_, slot in connections:
        signal_.connect(slot)
    parts.store.load()
    parts.scanner.start()


def _start_rest(parts: Parts) -> None:
    if parts.owner_seed is not None:
        parts.owner_seed.discard()          # the first scan took it, or never will: end the helper
    build_rest(parts)
    if parts.settings_keeper is not None:
        parts.settings_keeper.check_at_start(parts.presenter.settings)
    if parts.facts is not None:
        parts.facts.start()
    if parts.interop is not None:
        parts.interop.start()
    if parts.all_presenter is not None:
        parts.all_presenter.start()
    parts.controller.start_watching()
    first_use.drop_source_cache()
    resume_collector()


def resume_collector() -> None:
    """After the first paint: collect what the start-up left, keep the objects that outlive it
    (modules, classes, Qt wrappers) out of later collections, and collect again as usual.

    What start-up made (~50,000 objects) lives as long as the app: moved out of the collector's
    sight, a full collection -- which holds the GIL, so the GUI thread waits -- walks only what
    came later (the All ports fill: ~50 -> ~10-30 ms). When the launch did not pause the
    collector (``entry.run``, ``main``; tests build the app themselves), it is frozen once per
    process: a second app in one process would also freeze the first one's garbage."""
    if not gc.isenabled():
        gc.collect()
        gc.freeze()
        gc.enable()
    elif not gc.get_freeze_count():
        gc.freeze()


def quit_app(parts: Parts) -> None:
    """Quit: stop what this app launched first (unless the settings say leave them running)."""
    assert parts.quit is not None
    parts.quit.request()


def shutdown(parts: Parts) -> None:
    """Stop every timer and end every worker thread, each awaited, on the GUI thread (once:
    ``QCoreApplication.exit`` emits ``aboutToQuit`` each time it is called)."""
    if parts.shut_down:
        return
    parts.shut_down = True
    if parts.quit is not None:
        parts.app.removeEventFilter(parts.quit)
        parts.app.aboutToQuit.disconnect(parts.quit.session_ending)
    parts.scanner.shutdown(5000)
    if parts.all_presenter is not None:
        parts.all_presenter.shutdown()
    if parts.all_scanner is not None:
        parts.all_scanner.shutdown(5000)
    if parts.live is not None:
        parts.live.shutdown(5000)
    parts.controller.shutdown(5000)
    parts.presenter.logs.shutdown(5000)
    parts.store.shutdown()                # a save asked for just before quitting still lands
    if parts.settings_keeper is not None:
        parts.settings_keeper.shutdown(5000)
    if parts.facts is not None:
        parts.facts.shutdown(5000)
    if parts.interop is not None:
        parts.interop.worker.shutdown(5000)
    if parts.tray is not None:
        parts.tray.dispose()
    for occupancy in parts.occupancy:     # their netlink sockets: the workers that used them have ended
        occupancy.close()


def dispose(parts: Parts) -> None:
    """After ``shutdown``: delete every Qt object of the app now, on the GUI thread.

    They are all the window's children, so deleting the window deletes them. Left to Python's
    collector, a graph of them could be destroyed on whichever thread the collector ran on (a
    worker's), where a file watcher's or a tray menu's socket notifiers cannot be touched."""
    if parts.app.quit_handler == parts.quit.intercept_quit:   # not a later app's (tests build several)
        parts.app.quit_handler = None     # the flow is deleted with the window
    parts.window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)   # now (and the tray's menu)


def _on_app_state(parts: Parts, state: Qt.ApplicationState) -> None:
    # its OS rule lives with the tray, which --smoke never builds (issue 16)
    from .ui.tray import reopen_shows_window

    active = state == Qt.ApplicationState.ApplicationActive
    if reopen_shows_window(current_os(), active, parts.window.isVisible()):
        parts.window.bring_to_front()


def _show_tray_or_window(parts: Parts, args: argparse.Namespace, waited_ms: int = 0) -> None:
    """Wait briefly for a tray host (login races), then fall back to the window."""
    # a real launch only (not --smoke)
    from PySide6.QtWidgets import QSystemTrayIcon

    if parts.tray is not None and QSystemTrayIcon.isSystemTrayAvailable():
        parts.tray.show()
        if args.show:
            parts.window.bring_to_front()
        return
    if parts.tray is not None and waited_ms < TRAY_WAIT_MS:
        if waited_ms == 0 and args.show:
            parts.window.bring_to_front()
        QTimer.singleShot(250, lambda: _show_tray_or_window(parts, args, waited_ms + 250))
        return
    parts.window.quit_on_close = True     # no tray: the window is the app
    parts.window.bring_to_front()


def _install_signal_handlers(app: QApplication, on_signal: Callable[[], None]) -> QSocketNotifier | None:
    """Ctrl+C / SIGTERM quit like tray Quit: Python's handler runs when the wakeup fd wakes Qt.

    The handler only queues ``on_signal`` for the event loop: a signal that arrives before
    ``exec()`` (while the window is being built) would otherwise ask a loop that is not
    running yet to exit, and be lost.
    """
    def handler(*_: object) -> None:
        QTimer.singleShot(0, app, on_signal)

    signal.signal(signal.SIGINT, handler)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, handler)
    try:
        rsock, wsock = socket.socketpair()
    except OSError:
        return None
    wsock.setblocking(False)
    rsock.setblocking(False)
    signal.set_wakeup_fd(wsock.fileno())
    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Type.Read, app)
    notifier.activated.connect(lambda *_: rsock.recv(64))
    notifier._socks = (rsock, wsock)  # keep both ends open as long as the notifier lives
    return notifier


def _smoke(parts: Parts) -> list:
    """Exit 0 once one snapshot has been painted in the window. When the registry does not load,
    its error is printed and the app quits through its quit flow; the returned list then holds
    the problem (``main`` exits 2: bad input)."""
    done: list = []
    failed: list = []

    def painted(rows) -> None:
        if parts.presenter.snapshot is None or done or failed:
            return
        done.append(True)
        parts.window.bring_to_front()
        parts.window.repaint()
        print(f"painted {len(rows)} ports", flush=True)
        QTimer.singleShot(0, parts.app.quit)
    def load_failed(problem) -> None:
        if failed or done:
            return
        failed.append(problem)
        print(text.store_problem(problem), file=sys.stderr)
        quit_app(parts)
    parts.presenter.rows_changed.connect(painted)
    parts.store.load_failed.connect(load_failed)
    return failed


def main(argv: list[str] | None = None, owner_seed: OwnerSeed | None = None) -> int:
    """The desktop app; ``owner_seed`` is the helper ``entry.run`` started (Linux), which ends
    with this function whatever happens."""
    try:
        return _main(argv, owner_seed)
    finally:
        if owner_seed is not None:
            owner_seed.discard()


def _main(argv: list[str] | None, owner_seed: OwnerSeed | None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    gc.disable()              # until the first paint (resume_collector), as entry.run does
    first_use.drop_source_cache()       # what importing this module read
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if QApplication.instance() is None:
        bundle = bundle_dir()
        problem = read_display_problem(sys.argv, [bundle, bundle / "PySide6" / "Qt" / "lib"] if bundle else [])
        if problem is not None:      # Qt would abort (exit 134) with a message nobody can act on
            print(text.display_problem_text(problem), file=sys.stderr)
            return 1
    app = QApplication.instance() or Application(sys.argv[:1])
    app.setApplicationName("Port Manager")
    app.setOrganizationName("PortManager")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    paths = core_paths.resolve().ensure()
    single = None
    if not args.smoke:
        # a real launch only (QtNetwork, the OS's foreground rules): not for --smoke
        from .core.platform.desktop import foreground_handoff
        from .single_instance import SingleInstance

        single = SingleInstance(paths.state_dir / "gui.lock")
        if not single.acquire():
            if single.notify_first(foreground_handoff(current_os())):
                return 0
            print(text.already_running_text(paths.state_dir / "gui.lock"), file=sys.stderr)
            return 1
    if not args.registry and not paths.registry_file.exists():
        args.show = True      # first run: show the window, not only a new icon in the tray
    parts = build(app, args, paths, paint_first=True, owner_seed=owner_seed)
    first_use.drop_source_cache()
    notifier = _install_signal_handlers(app, lambda: quit_app(parts))
    app.aboutToQuit.connect(lambda: shutdown(parts))
    if single is not None:
        single.show_requested.connect(parts.window.bring_to_front)
    app.applicationStateChanged.connect(lambda state: _on_app_state(parts, state))
    smoke_failed: list = []
    if args.smoke:
        smoke_failed = _smoke(parts)
        parts.window.quit_on_close = True
    else:
        _show_tray_or_window(parts, args)
    start(parts)
    code = app.exec()
    if smoke_failed:
        code = 2                # the registry did not load: bad input, as the CLI says it
    dispose(parts)
    if single is not None:
        single.release()
    del notifier
    return code

