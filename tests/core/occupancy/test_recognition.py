"""Recognition of well-known holders: one table, one function, checked on real command lines."""
from __future__ import annotations

import pytest

from portmanager_gui.core.occupancy.recognition import RULES, Kind, recognize


@pytest.mark.parametrize("name, exe, cmdline, os_name, text, kind", [
    ("ollama", "/usr/local/bin/ollama", ["/usr/local/bin/ollama", "serve"], "linux", "Ollama", Kind.AI),
    ("ollama.exe", "C:\\Users\\a\\AppData\\Local\\Programs\\Ollama\\ollama.exe", ["ollama.exe", "serve"],
     "windows", "Ollama", Kind.AI),
    ("llama-server", "/opt/llama.cpp/build/bin/llama-server",
     ["/opt/llama.cpp/build/bin/llama-server", "-m", "/models/Qwen2.5-7B-Instruct-Q4_K_M.gguf", "--port", "8081"],
     "linux", "llama-server (Qwen2.5-7B-Instruct-Q4_K_M)", Kind.AI),
    ("llama-server", "", ["llama-server", "--model=/m/phi-3.gguf", "--alias", "phi3"], "linux",
     "llama-server (phi3)", Kind.AI),
    ("llama-server.exe", "", ["llama-server.exe", "--model", "C:\\models\\gemma-2b.gguf"], "windows",
     "llama-server (gemma-2b)", Kind.AI),
    ("python3", "/usr/bin/python3.11", ["python3", "-m", "llama_cpp.server", "--model", "m.gguf"], "linux",
     "llama-server (m)", Kind.AI),
    ("llama-swap", "", ["llama-swap", "--config", "config.yaml", "--listen", ":8080"], "macos", "llama-swap", Kind.AI),
    ("ClaraCore", "", ["ClaraCore"], "macos", "ClaraCore", Kind.AI),
    ("LM Studio", "/Applications/LM Studio.app/Contents/MacOS/LM Studio", [], "macos", "LM Studio", Kind.AI),
    ("python3", "", ["python3", "-m", "vllm.entrypoints.openai.api_server", "--model", "Qwen/Qwen2.5-1.5B"],
     "linux", "vLLM (Qwen/Qwen2.5-1.5B)", Kind.AI),
    ("vllm", "", ["/home/a/.venv/bin/vllm", "serve", "meta-llama/Llama-3.1-8B", "--served-model-name", "llama"],
     "linux", "vLLM (llama)", Kind.AI),
    ("python", "", ["python", "server.py", "--listen", "--api"], "windows", "text-generation-webui", Kind.AI),
    ("python", "", ["python", "/home/a/ComfyUI/main.py", "--listen"], "linux", "ComfyUI", Kind.AI),
    ("open-webui", "", ["/home/a/.venv/bin/python3", "/home/a/.venv/bin/open-webui", "serve"], "linux",
     "Open WebUI", Kind.AI),
    ("python3", "", ["python3", "-m", "jupyterlab", "--no-browser"], "linux", "Jupyter", Kind.DEV),
    ("jupyter-lab", "", ["/usr/bin/python3", "/usr/bin/jupyter-lab"], "linux", "Jupyter", Kind.DEV),
    ("python", "", ["python", "app.py", "--gradio-port", "7860"], "linux", "Gradio app", Kind.AI),
    ("node", "/usr/bin/node", ["node", "/w/app/node_modules/.bin/vite", "--port", "5173"], "linux",
     "Vite dev server", Kind.DEV),
    ("node", "", ["node", "/w/app/node_modules/next/dist/server/lib/start-server.js"], "linux",
     "Next.js dev server", Kind.DEV),
    ("next-server (v14.2.3)", "", [], "linux", "Next.js dev server", Kind.DEV),
    ("node", "", ["node", "server.js"], "linux", "Node.js server", Kind.DEV),
    ("docker-proxy", "/usr/bin/docker-proxy", ["/usr/bin/docker-proxy", "-proto", "tcp"], "linux",
     "Docker proxy", Kind.CONTAINER_PROXY),
    ("com.docker.backend", "", [], "macos", "Docker Desktop backend", Kind.CONTAINER_PROXY),
    ("wslrelay.exe", "", [], "windows", "WSL relay", Kind.CONTAINER_PROXY),
    ("rootlessport", "", [], "linux", "Podman proxy", Kind.CONTAINER_PROXY),
    ("postgres", "/usr/lib/postgresql/16/bin/postgres", [], "linux", "Postgres", Kind.DB),
    ("redis-server", "", ["redis-server *:6379"], "linux", "Redis", Kind.DB),
    ("milvus", "", ["milvus", "run", "standalone"], "linux", "Milvus", Kind.DB),
    ("sshd", "/usr/sbin/sshd", [], "linux", "SSH server", Kind.SYSTEM),
    ("mDNSResponder", "", [], "macos", "macOS service", Kind.SYSTEM),
    ("ControlCenter", "", [], "macos", "macOS service", Kind.SYSTEM),
    ("svchost.exe", "C:\\Windows\\System32\\svchost.exe", [], "windows", "Windows service", Kind.SYSTEM),
])
def test_well_known_holders_are_named(name, exe, cmdline, os_name, text, kind):
    got = recognize(name, exe, cmdline, os_name)
    assert got is not None and (got.text, got.kind) == (text, kind)


@pytest.mark.parametrize("name, cmdline, os_name", [
    ("python3", ["python3", "-m", "http.server", "8000"], "linux"),
    ("myapp", ["./myapp", "--port", "9000"], "linux"),
    ("svchost", [], "linux"),                # a Windows name means nothing on Linux
    ("", [], "linux"),
])
def test_unknown_holders_are_not_guessed(name, cmdline, os_name):
    assert recognize(name, "", cmdline, os_name) is None


def test_the_table_is_data_with_one_label_per_rule():
    labels = [r.label for r in RULES]
    assert len(labels) == len(set(labels))
    assert all(r.names or r.cmdline is not None for r in RULES)
