"""The registry written on first run, with the real defaults of the three seed documents.

It is kept as YAML text (not built from dataclasses) so the user's first file carries
comments that explain each entry; the same text is loaded strictly like any other file.
"""

DEFAULT_REGISTRY_YAML = """\
# Port Manager registry: one place for every port of your local AI stack.
# Edit it here or in the Port Manager window; comments and key order are kept on save.
# The format is described in the README ("Registry format").
version: 1

# ClaraCore "startPort": ungrouped model servers get ports from here (8100, 8101, ...).
start_port: 8100

services:
  router:
    description: Model Router (web UI at /, API at /api)
    ports: [3791, 3003]          # preferred first, then fallbacks -- never a random port
    # The embedded demo router; for the real one use: [python, app.py, --port, "{port}"]
    command: ["{python}", -m, portmanager_gui.demo, router, --host, "{host}", --port, "{port}"]
    url: "http://{host}:{port}/"
    endpoints: {Web Interface: /, API Base: /api}
    health: /api/health
    banner: MODEL ROUTER API SERVER
  claracore:
    description: ClaraCore / llama-swap proxy web UI and API
    ports: [5800]
    # command: [claracore, --listen, ":{port}"]
  backend:
    description: Backend API service
    ports: [8203]
    url: "http://{host}:{port}/api"
  frontend:
    description: Frontend React application
    ports: [3000]
  llm:
    description: LLM service (optimized)
    ports: [8611]
  llm-original:
    description: LLM service (original)
    ports: [8610]
  rag:
    description: RAG service
    ports: [8602]
  milvus:
    description: Milvus vector database
    ports: [9090]
  avatar-manager:
    description: Avatar Manager API
    ports: [8607]
  avatar-base:
    description: Avatar instance starting port
    ports: [8615]
  live-server:
    description: Live Server
    ports: [8606]
  tts:
    description: Edge TTS (default)
    ports: [8604]
  tts-tacotron:
    description: Tacotron TTS
    ports: [8605]
  tts-sovits:
    description: SoVITS TTS
    ports: [8608]
  tts-cosyvoice:
    description: CosyVoice TTS
    ports: [8609]
  redis:
    description: Redis cache
    ports: [6379]
    url: "redis://{host}:{port}/0"
  ollama:
    description: Ollama service
    ports: [11434]

# Ungrouped model servers (llama-server instances), from start_port upwards.
models:
  size: 100
  members: [my-model]
  # The embedded demo model server; for a real one use:
  # [llama-server, -m, /path/to/{model}.gguf, --host, "{host}", --port, "{port}"]
  command: ["{python}", -m, portmanager_gui.demo, model, --model, "{model}", --host, "{host}", --port, "{port}"]

groups:
  large-models:
    description: Heavy models (swappable)
    start_port: 8200
    size: 100
    members: [model1, model2]
    command: ["{python}", -m, portmanager_gui.demo, model, --model, "{model}", --host, "{host}", --port, "{port}"]
  small-models:
    description: Embeddings, light models
    start_port: 8300
    size: 100
    members: [embedding1, embedding2]
    command: ["{python}", -m, portmanager_gui.demo, model, --model, "{model}", --host, "{host}", --port, "{port}"]
"""
