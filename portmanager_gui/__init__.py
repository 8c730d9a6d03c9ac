"""Port Manager: one registry for the ports of a local AI stack.

The package is layered: ``core`` (no Qt), ``services`` (QtCore only) and ``ui``
(QtWidgets). ``portmanager_gui.registry`` is the small Python API for services.
"""

__version__ = "0.1.0"
