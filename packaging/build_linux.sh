#!/usr/bin/env bash
# Build the Linux bundle: dist/PortManager/ (PortManager, portmanager.desktop, install.sh)
# and dist/PortManager-<version>-linux-<arch>.tar.gz (PORTMANAGER_NO_ARCHIVE=1 skips it).
# PYTHON: the Python with '.[package]' installed (default .venv/bin/python; created if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
if [ ! -x "$PY" ]; then
    python3 -m venv .venv
    PY=.venv/bin/python
fi
if ! command -v objdump >/dev/null 2>&1; then
    echo "build_linux.sh: PyInstaller needs objdump to read the libraries' dependencies." >&2
    echo "Install binutils (Debian/Ubuntu: sudo apt-get install binutils) and build again." >&2
    exit 1
fi
if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
    "$PY" -m pip install --quiet -e '.[package]'
fi

VERSION=$("$PY" -c 'from portmanager_gui import __version__; print(__version__)')
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/PortManager.spec

out=dist/PortManager
sed "s/@VERSION@/$VERSION/" packaging/portmanager.desktop > "$out/portmanager.desktop"
install -m 755 packaging/install_linux.sh "$out/install.sh"
echo "built $out ($(du -sh "$out" | cut -f1)), version $VERSION"

if [ "${PORTMANAGER_NO_ARCHIVE:-0}" != 1 ]; then
    archive="dist/PortManager-$VERSION-linux-$(uname -m).tar.gz"
    tar -C dist -czf "$archive" PortManager
    echo "built $archive"
fi
