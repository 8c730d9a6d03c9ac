"""QtCore-only services: QObjects that run core work off the GUI thread and answer with signals."""
