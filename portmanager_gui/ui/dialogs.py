"""The kill confirmation and the "all ports taken" dialog.

The words are built by plain functions (tests read them); the ``ask_*`` functions show
them modally. Callers receive the ``ask_*`` functions as parameters so tests answer the
question themselves and never open a real modal loop.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.occupancy.recognition import named
from ..core.occupancy.snapshot import Holder
from ..core.platform import current_os
from ..core.platform.commands import command_line_text
from ..core.platform.occupancy import FirstAsk, kill_first_asks
from ..text.kill import refusal_text

if TYPE_CHECKING:
    from ..core.kill.policy import KillPlan


@dataclass(frozen=True)
class KillQuestion:
    """The kill confirmation's texts and whether a kill is possible at all."""

    title: str
    text: str
    details: str           # each holder: name, pid, user and full command line
    can_kill: bool


def _holder_lines(h: Holder) -> list[str]:
    cmd = command_line_text(h.cmdline) if h.cmdline else (h.exe or "(command line not visible)")
    return [f"{named(h)} (pid {h.pid}, user {h.username or '?'})", f"    {cmd}"]


def _shown(holders, limit: int = 160) -> str:
    """The holders as the dialog shows them; a long command line is cut (Details has it all)."""
    out = []
    for h in holders:
        name, cmd = _holder_lines(h)
        cmd = cmd.strip()
        out.append(f"{name}\n{cmd if len(cmd) <= limit else cmd[:limit - 1] + '…'}")
    return "\n".join(out)


def _how_it_stops(os_name: str) -> str:
    if kill_first_asks(os_name) is FirstAsk.CLOSE_WINDOWS:
        return ("A program with a window is asked to close it first and ended if it is still there after "
                "5 seconds; one without a window is ended at once. Unsaved work in it is lost.")
    return "It is asked to stop first and killed if it does not stop within 5 seconds. Unsaved work in it is lost."


def kill_question(plan: "KillPlan", service: str = "", os_name: str | None = None) -> KillQuestion:
    """Name, pid, user and command line of each holder; refusals say why not."""
    port = plan.port
    owner = f" (registered to {service})" if service else ""
    if plan.free:
        return KillQuestion(f"Port {port} is free", f"Nothing listens on port {port}{owner} any more.", "", False)
    lines: list[str] = []
    for h in plan.targets:
        lines += _holder_lines(h)
    for r in plan.refused:
        if r.holder is not None:
            lines += _holder_lines(r.holder)
        lines.append(f"    cannot be killed: {refusal_text(r)}")
    if plan.can_kill:
        who = ", ".join(f"{named(h)} (pid {h.pid})" for h in plan.targets)
        text = f"Kill {who} on port {port}{owner}?\n\n{_shown(plan.targets)}\n\n{_how_it_stops(os_name or current_os())}"
        return KillQuestion(f"Kill the holder of port {port}?", text, "\n".join(lines), True)
    if plan.targets:
        text = (f"Port {port}{owner} is held by processes Port Manager may not kill, so killing the others "
                "would not free it:")
    else:
        text = f"Port {port}{owner} cannot be freed from here:"
    reasons = "\n".join(f"- {refusal_text(r)}" for r in plan.refused)
    return KillQuestion(f"Port {port} cannot be freed", f"{text}\n{reasons}", "\n".join(lines), False)


def ask_kill(parent: QWidget | None, question: KillQuestion) -> bool:
    """Show the confirmation; True when the user chose Kill."""
    box, kill = kill_box(parent, question)
    box.exec()
    return kill is not None and box.clickedButton() is kill


def kill_box(parent: QWidget | None, question: KillQuestion) -> tuple[QMessageBox, object]:
    """The confirmation box and its Kill button (None when the holder cannot be killed)."""
    box = QMessageBox(parent)
    box.setWindowTitle(question.title)
    box.setText(question.text)
    box.setDetailedText(question.details)
    if question.can_kill:
        box.setIcon(QMessageBox.Icon.Warning)
        kill = box.addButton("&Kill", QMessageBox.ButtonRole.DestructiveRole)   # Alt+K
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    else:
        box.setIcon(QMessageBox.Icon.Information)
        kill = None
        box.addButton(QMessageBox.StandardButton.Close)
    return box, kill


class AllTakenChoice(str, Enum):
    KILL_AND_START = "kill"
    EDIT_PORTS = "edit"
    CANCEL = "cancel"


@dataclass(frozen=True)
class AllTakenQuestion:
    """The all-ports-taken question's texts and the ports that were tried."""

    service: str
    title: str
    text: str
    tried: tuple[tuple[int, str], ...]      # (port, "name (pid N, user u)" or "nobody now")


def all_taken_question(service: str, tried: Sequence[int], holders: Callable[[int], Sequence[Holder]]) -> AllTakenQuestion:
    rows = []
    for port in tried:
        hs = holders(port)
        who = ", ".join(f"{h.name or '?'} (pid {h.pid}, user {h.username or '?'})" for h in hs)
        rows.append((port, who or "no process visible (it may have exited; try again)"))
    listing = "\n".join(f"  {port}: {who}" for port, who in rows)
    text = (f"ERROR: All preferred ports of {service} are in use!\n\n"
            f"Tried ports: {', '.join(str(p) for p in tried)}\n{listing}\n\n"
            "Free one of these ports (kill its holder), give the service another port, or cancel.")
    return AllTakenQuestion(service, f"{service}: all ports are taken", text, tuple(rows))


def ask_all_taken(parent: QWidget | None, question: AllTakenQuestion) -> AllTakenChoice:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(question.title)
    box.setText(question.text)
    kill = box.addButton(f"Kill holder of {question.tried[0][0]} and start" if question.tried
                         else "Kill holder and start", QMessageBox.ButtonRole.DestructiveRole)
    edit = box.addButton("Edit ports...", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is kill:
        return AllTakenChoice.KILL_AND_START
    if clicked is edit:
        return AllTakenChoice.EDIT_PORTS
    return AllTakenChoice.CANCEL


def ask_yes_no(parent: QWidget | None, title: str, text: str, yes: str, no: str) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is yes_button
