#!/usr/bin/env bash
# Build the macOS app: dist/PortManager.app, dist/PortManager-<version>-macos-<arch>.zip and
# .dmg (PORTMANAGER_NO_ARCHIVE=1 skips the zip and dmg).
#   PYTHON                          the Python with '.[package]' (default .venv/bin/python; created if missing)
#   PORTMANAGER_CODESIGN_IDENTITY   "Developer ID Application: ..." signs the app (hardened runtime);
#                                   unset: PyInstaller's ad-hoc signature only (Gatekeeper asks once)
#   PORTMANAGER_ENTITLEMENTS        optional entitlements plist for the signature
#   PORTMANAGER_NOTARY_PROFILE      a `xcrun notarytool store-credentials` profile: notarize and staple
#   PORTMANAGER_NOTARY_KEYCHAIN     the keychain holding that profile (CI: macos_keychain.sh makes one)
# The build is for this Mac's architecture (arm64 or x86_64): CI builds on an Apple silicon and
# an Intel runner. LSMinimumSystemVersion comes from the bundled libraries (spec_helpers.py).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
if [ ! -x "$PY" ]; then
    python3 -m venv .venv
    PY=.venv/bin/python
fi
if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
    "$PY" -m pip install --quiet -e '.[package]'
fi

VERSION=$("$PY" -c 'from portmanager_gui import __version__; print(__version__)')
BUNDLE_ID=$("$PY" -c 'from portmanager_gui.core.app_names import BUNDLE_ID; print(BUNDLE_ID)')
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/PortManager.spec

app=dist/PortManager.app
plist=$app/Contents/Info.plist
# The keys the menu-bar app depends on, read back from what PyInstaller wrote.
[ "$(/usr/libexec/PlistBuddy -c 'Print :LSUIElement' "$plist")" = "true" ] || { echo "LSUIElement missing in $plist" >&2; exit 1; }
[ "$(/usr/libexec/PlistBuddy -c 'Print :CFBundleIdentifier' "$plist")" = "$BUNDLE_ID" ] || { echo "wrong bundle id in $plist" >&2; exit 1; }
[ "$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$plist")" = "$VERSION" ] || { echo "wrong version in $plist" >&2; exit 1; }
/usr/libexec/PlistBuddy -c 'Print :LSMinimumSystemVersion' "$plist" >/dev/null || { echo "LSMinimumSystemVersion missing in $plist" >&2; exit 1; }
plutil -lint "$plist"
codesign --verify --deep --strict "$app"
echo "built $app ($(du -sh "$app" | cut -f1)), version $VERSION, signed by: ${PORTMANAGER_CODESIGN_IDENTITY:-ad-hoc}"

if [ "${PORTMANAGER_NO_ARCHIVE:-0}" = 1 ]; then
    exit 0
fi
zip="dist/PortManager-$VERSION-macos-$(uname -m).zip"
rm -f "$zip"
ditto -c -k --sequesterRsrc --keepParent "$app" "$zip"
if [ -n "${PORTMANAGER_NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$zip" --keychain-profile "$PORTMANAGER_NOTARY_PROFILE" \
        ${PORTMANAGER_NOTARY_KEYCHAIN:+--keychain "$PORTMANAGER_NOTARY_KEYCHAIN"} --wait
    xcrun stapler staple "$app"
    rm -f "$zip"
    ditto -c -k --sequesterRsrc --keepParent "$app" "$zip"
fi
echo "built $zip"

# A disk image with the app and a link to /Applications: drag one onto the other.
stage=build/dmg
rm -rf "$stage"
mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
dmg="dist/PortManager-$VERSION-macos-$(uname -m).dmg"
hdiutil create -quiet -volname "Port Manager" -srcfolder "$stage" -ov -format UDZO "$dmg"
if [ -n "${PORTMANAGER_CODESIGN_IDENTITY:-}" ]; then
    codesign --sign "$PORTMANAGER_CODESIGN_IDENTITY" --timestamp "$dmg"
    if [ -n "${PORTMANAGER_NOTARY_PROFILE:-}" ]; then
        xcrun notarytool submit "$dmg" --keychain-profile "$PORTMANAGER_NOTARY_PROFILE" \
            ${PORTMANAGER_NOTARY_KEYCHAIN:+--keychain "$PORTMANAGER_NOTARY_KEYCHAIN"} --wait
        xcrun stapler staple "$dmg"
    fi
fi
echo "built $dmg"
