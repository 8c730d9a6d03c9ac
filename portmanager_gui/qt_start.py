"""PySide6, imported for a quick start: ``app`` imports this before any other module of its own.

Importing ``PySide6.QtCore`` replaces ``builtins.__import__``: after every later import,
PySide6 reads the imported module's whole source (``inspect.getsource``) to see whether it
mentions "PySide6", and so whether it could select one of PySide6's ``__feature__`` options
(``snake_case``, ``true_property``), which are switched per module. The app and the libraries
it loads select none (``tests/test_startup_imports.py`` checks the app), so every answer
would be "no feature" anyway: reading each module's source -- 180 of them before the first
paint, 50-75 ms of the start-up, and the ~7 MB of lines ``linecache`` keeps -- buys nothing.
``skip_feature_source_reads`` answers without reading. It changes nothing where that
internal function is not found (another PySide6 version): the source is read as before.
"""
from __future__ import annotations

import sys

import PySide6.QtCore  # noqa: F401  -- installs the import hook this module tunes

FEATURE_MODULE = "shibokensupport.feature"


def skip_feature_source_reads() -> bool:
    """True when PySide6 now answers "no feature" for each new module without reading it."""
    feature = sys.modules.get(FEATURE_MODULE)
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = _uses_no_feature
    return True


def _uses_no_feature(_module: object) -> bool:
    return False


skip_feature_source_reads()
