"""Interoperation with the files that already own ports in a user's stack.

Port Manager's registry is the one place a port is changed; this package carries that
change to the tools that read ports from elsewhere ("modify once, apply everywhere"):

- import: a llama-swap/ClaraCore ``config.yaml`` (``llamaswap``), a ``ports_config.py``
  (``pyconst``, parsed with ``ast``, never executed), a ``.env`` (``dotenv``) and the
  published ports of a ``docker-compose.yml`` (``compose``) become a new ``Registry`` value
  plus a typed preview (``changes``);
- export: ``ports_config.py`` / ``config.js`` / ``.env`` / JSON (``exporters``);
- write-back of ``startPort`` values into a linked ClaraCore config (``llamaswap_write``);
- ``sync.apply_links`` regenerates every linked file after a registry save;
- ``docker`` names the container behind a port held by docker-proxy.

Nothing here imports Qt; every writer goes through ``atomic_write.write_atomic`` and writes
nothing when its input is bad.
"""
