"""Entry script of the Windows console exe ``portmanager.exe`` (see PortManager.spec): the
``portmanager`` command, in the same bundle folder as the windowed app. Like the app's exe
it runs ``-m portmanager_gui...`` (the ``{python}`` of the registry's demo servers, and the
Ctrl+Break helper), so services started from a console get a console of their own."""
import sys

from portmanager_gui.entry import module_request, run_module


def main() -> int:
    request = module_request(sys.argv, frozen=True)
    if request:
        return run_module(*request)
    from portmanager_gui.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
