#!/bin/sh
# Port Manager for Linux: add it to this user's application menu, or take it out again.
#   ./install.sh               menu entry + icons, pointing at this folder's PortManager
#   ./install.sh --uninstall   remove the menu entry, icons and start-at-login entry
# Run it from the unpacked PortManager folder (move the folder first if you want it elsewhere).
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
data=${XDG_DATA_HOME:-}
case $data in /*) ;; *) data=$HOME/.local/share ;; esac
config=${XDG_CONFIG_HOME:-}
case $config in /*) ;; *) config=$HOME/.config ;; esac
apps=$data/applications
entry=$apps/portmanager.desktop
sizes="16 24 32 48 64 128 256 512"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$entry" "$config/autostart/PortManager.desktop"
    for s in $sizes; do rm -f "$data/icons/hicolor/${s}x${s}/apps/portmanager.png"; done
    echo "Removed Port Manager's menu entry, icons and start-at-login entry."
    echo "Delete the folder $here to remove the app. Your registry and settings stay in"
    echo "$config/PortManager and its state and logs in ${XDG_STATE_HOME:-$HOME/.local/state}/PortManager."
    exit 0
fi

exe=$here/PortManager
if [ ! -x "$exe" ]; then
    echo "install.sh: $exe is missing; run install.sh from the unpacked PortManager folder." >&2
    exit 1
fi
# Desktop Entry spec: inside quotes escape " \` \$ \\, write % as %%, then double every
# backslash again because the Exec value is itself an escaped string.
quoted=$(printf '%s' "$exe" | sed -e 's/[\\"`$]/\\&/g' -e 's/%/%%/g' -e 's/\\/\\\\/g')

for s in $sizes; do
    mkdir -p "$data/icons/hicolor/${s}x${s}/apps"
    cp "$here/_internal/resources/icons/portmanager-$s.png" "$data/icons/hicolor/${s}x${s}/apps/portmanager.png"
done
mkdir -p "$apps"
while IFS= read -r line; do
    case $line in
        "Exec=@EXEC@") printf 'Exec="%s"\n' "$quoted" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$here/portmanager.desktop" > "$entry.tmp"
mv "$entry.tmp" "$entry"
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$apps" || true
fi
echo "Port Manager is in your application menu ($entry)."
