"""The embedded default stack: a real HTTP model router and a llama-server-like model server.

They let a new user start and stop the default registry with nothing else installed
(``portmanager up``), and give the tests real servers to supervise. Standard library only
(``http.server``), no Qt. Replace them in the registry with the real ``python app.py`` and
``llama-server`` once those are installed (see the README).
"""
