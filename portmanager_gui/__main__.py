"""``python -m portmanager_gui``: the ``portmanager`` command."""
import sys

from .cli import main

sys.exit(main())
