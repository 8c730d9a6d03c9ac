"""Why a process may not be killed, and why a container did not stop: one line each,
naming the port and the process (the OS's own notes and the engine's own words kept as they are)."""
from __future__ import annotations

from ..core.interop.docker import StopResult, StopTrouble
from ..core.kill.refusal import Reason, Refusal
from ..core.occupancy.snapshot import Holder


def describe_short(holder: Holder) -> str:
    """``nginx (pid 812)``."""
    return f"{holder.name or '?'} (pid {holder.pid})"


def refusal_text(r: Refusal) -> str:
    """``port 3791: nginx (pid 812) belongs to user www; Port Manager only stops your own processes``."""
    port = r.port
    who = describe_short(r.holder) if r.holder is not None else "its holder"
    if r.reason is Reason.PROTECTED:
        return f"port {port}: {who} is a protected system process" + (f". {r.note}" if r.note else "; it is never killed")
    if r.reason is Reason.FORWARDER and r.forwarder is not None:
        return f"port {port}: {who} is {r.forwarder.what}; never killed: {r.forwarder.instead}"
    if r.reason is Reason.SELF and r.ancestor:
        return f"port {port}: {who} started Port Manager (an ancestor); killing it would end this session"
    if r.reason is Reason.SELF:
        return f"port {port}: {who} is Port Manager itself; stop it from its window or Ctrl+C"
    if r.reason is Reason.RESERVED:
        return f"port {port}: {r.note}; there is no process to stop"
    if r.reason is Reason.UNKNOWN_OWNER and r.holder is None:
        return f"port {port}: {r.note}"
    if r.reason is Reason.UNKNOWN_OWNER and r.unchecked:
        return f"port {port}: cannot check the identity of {who}"
    if r.reason is Reason.UNKNOWN_OWNER:
        return f"port {port}: cannot identify the owner of {who}; run with sudo / as administrator to see it"
    if r.reason is Reason.OTHER_USER:
        user = r.holder.username if r.holder is not None else "another user"
        return f"port {port}: {who} belongs to user {user}; Port Manager only stops your own processes"
    if r.reason is Reason.PID_REUSED and r.holder is not None:
        return (f"port {port}: pid {r.holder.pid} now belongs to another process ({r.now_name or '?'}); "
                "nothing was signalled")
    if r.reason is Reason.NOT_HOLDING:
        return f"port {port}: {who} no longer listens on it; nothing was signalled"
    return f"port {port}: {who} may not be killed ({r.reason.value}); nothing was signalled"


def container_stop_failure(result: StopResult) -> str:
    """Why ``docker stop NAME`` failed: the engine's own line when it said no."""
    if result.trouble is StopTrouble.NO_PROGRAM:
        return f"no `{result.runtime}` command on PATH"
    if result.trouble is StopTrouble.TIMEOUT:
        return f"`{result.runtime} stop {result.container}` did not finish within {result.timeout:g} s"
    return result.engine_error or f"exit {result.returncode}"
