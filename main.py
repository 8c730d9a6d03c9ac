"""Double-click entry point: starts the Port Manager desktop app."""
from portmanager_gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
