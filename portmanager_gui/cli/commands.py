"""The ``portmanager`` commands: the module that registers each one and its line of help.

``portmanager --help`` and the "invalid choice" error are made from this table alone, so
neither imports a command module (each brings a part of ``core``: the scanner, the
supervisor, the interop readers...).
"""
from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("registry_cmds", "which port each service would use right now"),
    "plan": ("registry_cmds", "pre-flight of the whole registry, with lint warnings"),
    "ports": ("registry_cmds", "set a service's preferred and fallback ports"),
    "group": ("registry_cmds", "set a model group's port range"),
    "url": ("registry_cmds", "the URL of a service or model server"),
    "env": ("registry_cmds", "NAME_PORT=... lines for shells and .env files"),
    "status": ("occupancy_cmds", "who holds each registry port right now"),
    "kill": ("occupancy_cmds", "stop the processes listening on a port (asks first)"),
    "up": ("supervisor_cmds", "start services in the foreground; Ctrl-C stops them all"),
    "start": ("supervisor_cmds", "start services in the background"),
    "restart": ("supervisor_cmds", "stop, then start again"),
    "stop": ("supervisor_cmds", "stop what Port Manager started (the whole process tree)"),
    "logs": ("supervisor_cmds", "show a service's log"),
    "import": ("interop_cmds", "read ports from a ClaraCore config.yaml, ports_config.py, .env or compose file"),
    "export": ("interop_cmds", "write ports_config.py, config.js, .env or JSON from the registry"),
    "link": ("interop_cmds", "files kept in step with the registry (written on every save)"),
}
HELP = {name: text for name, (_, text) in COMMANDS.items()}
