"""The widgets: tray, main window, table models, editors and dialogs (no psutil, no file I/O)."""
