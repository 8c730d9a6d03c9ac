"""The ports wing: the bind probe, preferred -> fallback selection, model-slot allocation,
the pre-flight of a whole plan and the port/URL lookup behind ``url``, ``env`` and the API."""
