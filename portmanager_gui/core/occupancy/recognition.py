"""What a port holder is: Ollama, llama-server with its model, a Vite dev server, Postgres...

One data table (``RULES``), one function applying it (``recognize``). A rule matches on the
process name (``.exe`` dropped, case-insensitive), on the executable's file name, or on a
regular expression searched in the command line; the first matching rule wins, so specific
rules (``python -m vllm``) come before general ones (``node``). ``model_flags`` names the
command-line options whose value is shown with the label (llama-server's ``-m``/``--alias``).
"""
from __future__ import annotations

import ntpath
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    AI = "ai"
    DEV = "dev"
    DB = "db"
    CONTAINER_PROXY = "container-proxy"
    SYSTEM = "system"


@dataclass(frozen=True)
class Rule:
    """How to recognise a well-known program from its process name or command line."""

    label: str
    kind: Kind
    names: frozenset[str] = frozenset()       # process or executable names, lower case, no ".exe"
    cmdline: re.Pattern[str] | None = None     # searched in the command line joined with spaces
    model_flags: tuple[str, ...] = ()          # options whose value names the model served
    oses: frozenset[str] = frozenset()         # empty: any OS


def _rx(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


def _names(*names: str) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


_PY = r"(?:^|[\s/\\])(?:python[\d.]*|pythonw?)(?:\.exe)?\s"     # a Python interpreter ...
_MOD = _PY + r"(?:.*\s)?-m\s+"                                    # ... running a module

RULES: tuple[Rule, ...] = (
    # Container runtimes' port forwarders: the port belongs to a container.
    Rule("Docker proxy", Kind.CONTAINER_PROXY, _names("docker-proxy", "rootlesskit")),
    Rule("Docker Desktop backend", Kind.CONTAINER_PROXY, _names("com.docker.backend", "com.docker.vpnkit")),
    Rule("Docker Desktop vpnkit", Kind.CONTAINER_PROXY, _names("vpnkit", "vpnkit-bridge")),
    Rule("WSL relay", Kind.CONTAINER_PROXY, _names("wslrelay")),
    Rule("Podman proxy", Kind.CONTAINER_PROXY, _names("rootlessport", "rootlessport-child", "conmon", "gvproxy",
                                                      "podman")),
    # Local AI servers.
    Rule("Ollama", Kind.AI, _names("ollama", "ollama app", "ollama_llama_server")),
    Rule("llama-swap", Kind.AI, _names("llama-swap")),
    Rule("ClaraCore", Kind.AI, _names("claracore", "clara-core")),
    Rule("llama-server", Kind.AI, _names("llama-server", "llama_server"),
         _rx(r"llama[-_]server|llama_cpp\.server"), model_flags=("--alias", "-a", "-m", "--model")),
    Rule("LM Studio", Kind.AI, _names("lm studio", "lmstudio", "lms"), _rx(r"lm[ -]?studio")),
    Rule("vLLM", Kind.AI, _names("vllm"), _rx(_MOD + r"vllm\b|(?:^|[\s/\\])vllm\s+serve\b"),
         model_flags=("--served-model-name", "--model")),
    Rule("text-generation-webui", Kind.AI, cmdline=_rx(r"text-generation-webui|(?:^|[\s/\\])server\.py\b.*--(?:listen|api)\b")),
    Rule("ComfyUI", Kind.AI, _names("comfyui"), _rx(r"comfyui|comfy\b.*\bmain\.py")),
    Rule("Open WebUI", Kind.AI, _names("open-webui"), _rx(r"open[-_]webui")),
    Rule("Jupyter", Kind.DEV, _names("jupyter", "jupyter-lab", "jupyter-notebook", "jupyter-server"),
         _rx(r"jupyter[-_ ](?:lab|notebook|server)|ipykernel_launcher|" + _MOD + r"(?:jupyterlab|notebook)\b")),
    Rule("Gradio app", Kind.AI, cmdline=_rx(r"\bgradio\b")),
    # Node dev servers, most specific first.
    Rule("Vite dev server", Kind.DEV, cmdline=_rx(r"(?:^|[\s/\\])vite(?:\.js)?(?:\s|$)|node_modules[/\\]vite[/\\]")),
    Rule("Next.js dev server", Kind.DEV, _names("next-server"),
         _rx(r"(?:^|[\s/\\])next(?:\.js)?\s+(?:dev|start)\b|node_modules[/\\]next[/\\]")),
    Rule("Node.js server", Kind.DEV, _names("node", "nodejs", "bun", "deno")),
    # Databases and stores.
    Rule("Postgres", Kind.DB, _names("postgres", "postmaster", "pg_ctl")),
    Rule("Redis", Kind.DB, _names("redis-server", "redis-stack-server", "valkey-server")),
    Rule("Milvus", Kind.DB, _names("milvus"), _rx(r"(?:^|[\s/\\])milvus\s+run\b")),
    # The operating system's own services.
    Rule("SSH server", Kind.SYSTEM, _names("sshd")),
    Rule("systemd", Kind.SYSTEM, _names("systemd", "systemd-resolved", "systemd-networkd", "systemd-timesyncd")),
    Rule("system service", Kind.SYSTEM, _names(
        "avahi-daemon", "cupsd", "cups-browsed", "chronyd", "ntpd", "rpcbind", "dnsmasq", "dhclient",
        "NetworkManager", "rpc.statd", "exim4", "master", "smbd", "nmbd", "containerd", "dockerd", "snapd"),
         oses=frozenset({"linux"})),
    Rule("macOS service", Kind.SYSTEM, _names(
        "launchd", "mDNSResponder", "rapportd", "ControlCenter", "sharingd", "remoted", "identityservicesd",
        "netbiosd", "AirPlayXPCHelper", "UserEventAgent", "configd"), oses=frozenset({"macos"})),
    Rule("Windows service", Kind.SYSTEM, _names(
        "System", "svchost", "lsass", "wininit", "services", "spoolsv", "smss", "csrss", "winlogon",
        "System Idle Process", "Registry", "dns"), oses=frozenset({"windows"})),
)


@dataclass(frozen=True)
class Recognized:
    """What a process was recognised as (a label, a kind, a detail)."""

    label: str
    kind: Kind
    detail: str = ""        # e.g. the model a llama-server serves

    @property
    def text(self) -> str:
        """``llama-server (qwen2.5-7b)``: the label with its detail, for tables and menus."""
        return f"{self.label} ({self.detail})" if self.detail else self.label


def base_name(name: str) -> str:
    """``C:\\x\\Ollama.exe`` or ``/usr/bin/ollama`` -> ``ollama``."""
    base = ntpath.basename(posixpath.basename(name)).lower()
    base = re.sub(r"\s*\(v?[\d.]+\)$", "", base)      # a version in the title: "next-server (v14.2.3)"
    return base[:-4] if base.endswith(".exe") else base


def program_args(cmdline: Sequence[str]) -> Sequence[str]:
    """The program's own arguments: after ``python -m module`` (whose ``-m`` is Python's), else
    after the executable."""
    if cmdline and re.fullmatch(r"pythonw?[\d.]*", base_name(cmdline[0])) and "-m" in cmdline:
        return cmdline[cmdline.index("-m") + 2:]
    return cmdline[1:]


def option_value(cmdline: Sequence[str], flags: Sequence[str]) -> str:
    """The value of the first of ``flags`` given (``-m X``, ``--model=X``), by flag priority."""
    cmdline = program_args(cmdline)
    for flag in flags:
        for i, arg in enumerate(cmdline):
            if arg == flag and i + 1 < len(cmdline):
                return cmdline[i + 1]
            if flag.startswith("--") and arg.startswith(flag + "="):
                return arg[len(flag) + 1:]
    return ""


def _model_name(value: str) -> str:
    """A model path shown as its file name without ``.gguf``; an alias or repo id as given."""
    if not value:
        return ""
    if "/" in value or "\\" in value:
        if value.lower().endswith((".gguf", ".bin", ".safetensors")) or value.startswith(("/", ".", "~")) \
                or re.match(r"^[A-Za-z]:\\", value):
            value = ntpath.basename(posixpath.basename(value))
    return re.sub(r"\.gguf$", "", value, flags=re.IGNORECASE)


def label_of(holder, os_name: str = "") -> str:
    """What a holder (``name``, ``exe``, ``cmdline``) is, for tables, menus and confirmations:
    ``llama-server (qwen2.5-7b)``; "" when it is not a well-known program."""
    rec = recognize(holder.name, holder.exe, holder.cmdline, os_name)
    return rec.text if rec is not None else ""


def named(holder, os_name: str = "") -> str:
    """The process's name with what it is: ``python3 - Jupyter``; the label alone when it
    starts with the name (``llama-server (qwen2.5-7b)``, ``Ollama``); the name when unknown."""
    name = holder.name or "?"
    label = label_of(holder, os_name)
    if not label:
        return name
    return label if label.lower().startswith(name.lower()) else f"{name} - {label}"


def recognize(name: str, exe: str = "", cmdline: Sequence[str] = (), os_name: str = "") -> Recognized | None:
    """What the process is, by the first rule of ``RULES`` it matches; None when unknown."""
    names = {base_name(name)} if name else set()
    if exe:
        names.add(base_name(exe))
    joined = " ".join(cmdline)
    for rule in RULES:
        if rule.oses and os_name and os_name not in rule.oses:
            continue
        hit = bool(names & rule.names) or (rule.cmdline is not None and joined and rule.cmdline.search(joined))
        if not hit:
            continue
        detail = _model_name(option_value(cmdline, rule.model_flags)) if rule.model_flags else ""
        return Recognized(rule.label, rule.kind, detail)
    return None
