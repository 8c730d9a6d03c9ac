# Two commands: `make run` and `make test`. Each sets up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
ifeq ($(OS),Windows_NT)
  BIN := $(VENV)/Scripts
else
  BIN := $(VENV)/bin
endif
PY := $(BIN)/python

.PHONY: run test status bench clean package package-test screenshots

$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit("Port Manager needs Python 3.11+, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(PY) main.py --show

status: $(VENV)/.installed-run
	$(BIN)/portmanager status

test: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: $(VENV)/.installed-test
	$(PY) benchmarks/occupancy.py
	$(PY) benchmarks/cli.py
	$(PY) benchmarks/gui.py
	$(PY) benchmarks/all_ports_tree.py
	$(PY) benchmarks/live_models.py

# The README's pictures, taken of the real app on a private Xvfb + tray host (tests/desktop's harness).
screenshots: $(VENV)/.installed-test
	$(PY) tools/screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

# The double-click app for this OS (packaging/): dist/PortManager/ on Linux, dist/PortManager.app
# on macOS. Windows: packaging\build_windows.ps1. `package-test` runs the bundle's smoke test.
ifeq ($(shell uname -s 2>/dev/null),Darwin)
  PACKAGE_SCRIPT := packaging/build_macos.sh
else
  PACKAGE_SCRIPT := packaging/build_linux.sh
endif

$(VENV)/.installed-package: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[package]'
	@touch $@ $(VENV)/.installed-run

package: $(VENV)/.installed-package
	PYTHON=$(PY) bash $(PACKAGE_SCRIPT)

package-test: $(VENV)/.installed-package
	PYTHON=$(PY) PORTMANAGER_NO_ARCHIVE=1 bash $(PACKAGE_SCRIPT)
	$(PY) packaging/smoke_test.py
