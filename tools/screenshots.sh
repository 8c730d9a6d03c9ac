#!/usr/bin/env bash
# Screenshots of the real app for the README: window, tray menu, editors -> docs/screenshots/.
# Runs the app on a private Xvfb display with a tray host (trayer), in a private
# PORTMANAGER_HOME, so nothing of the user's own registry or services is touched.
# Needs: apt-get install -y xvfb trayer xdotool imagemagick x11-xserver-utils \
#        libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1   (the last three: Qt's xcb plugin)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DISPLAY_NUM=${DISPLAY_NUM:-:97}
HOME_DIR=$(mktemp -d)
cleanup() {
    [[ -n "${TRAY_PID:-}" ]] && kill "$TRAY_PID" 2>/dev/null || true
    [[ -n "${XVFB_PID:-}" ]] && kill "$XVFB_PID" 2>/dev/null || true
    rm -rf "$HOME_DIR"
}
trap cleanup EXIT

Xvfb "$DISPLAY_NUM" -screen 0 1400x900x24 -nolisten tcp &
XVFB_PID=$!
export DISPLAY=$DISPLAY_NUM
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
# A dark panel on the top left acting as the system tray (the freedesktop tray protocol).
trayer --edge top --align left --widthtype pixel --width 120 --height 26 --transparent false \
       --tint 0x303840 --SetDockType true &
TRAY_PID=$!
sleep 1
xsetroot -solid '#5b6770' 2>/dev/null || true

PORTMANAGER_HOME=$HOME_DIR QT_QPA_PLATFORM=xcb "$PY" tools/screenshots.py
