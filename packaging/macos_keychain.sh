#!/usr/bin/env bash
# CI (macOS): put the Developer ID certificate from the repository secrets into a temporary
# keychain that codesign can use without a prompt, and store notarytool credentials. Sets
# PORTMANAGER_CODESIGN_IDENTITY and PORTMANAGER_NOTARY_PROFILE for the next steps (GITHUB_ENV),
# which build_macos.sh reads. Without CERT_P12_BASE64 it does nothing: the build is ad-hoc signed.
#   CERT_P12_BASE64, CERT_PASSWORD        the exported "Developer ID Application" .p12, base64
#   NOTARY_APPLE_ID, NOTARY_TEAM_ID, NOTARY_PASSWORD   optional: notarize (app-specific password)
set -euo pipefail
if [ -z "${CERT_P12_BASE64:-}" ]; then
    echo "no signing certificate in the secrets: the app will be ad-hoc signed"
    exit 0
fi
: "${RUNNER_TEMP:?set by GitHub Actions}" "${GITHUB_ENV:?set by GitHub Actions}"
keychain="$RUNNER_TEMP/portmanager-signing.keychain-db"
keychain_password=$(uuidgen)
p12="$RUNNER_TEMP/certificate.p12"
printf '%s' "$CERT_P12_BASE64" | base64 --decode > "$p12"

security create-keychain -p "$keychain_password" "$keychain"
security set-keychain-settings -lut 21600 "$keychain"       # stays unlocked for the build
security unlock-keychain -p "$keychain_password" "$keychain"
security import "$p12" -k "$keychain" -P "${CERT_PASSWORD:-}" -T /usr/bin/codesign -T /usr/bin/security
# codesign may use the key without a UI prompt
security set-key-partition-list -S apple-tool:,apple: -s -k "$keychain_password" "$keychain" >/dev/null
# the temporary keychain first in the search list, the login keychain kept
security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
rm -f "$p12"

identity=$(security find-identity -v -p codesigning "$keychain" | sed -n 's/.*"\(Developer ID Application: .*\)"/\1/p' | head -n 1)
if [ -z "$identity" ]; then
    echo "the certificate in CERT_P12_BASE64 holds no 'Developer ID Application' identity" >&2
    exit 1
fi
echo "PORTMANAGER_CODESIGN_IDENTITY=$identity" >> "$GITHUB_ENV"
echo "signing as: $identity"

if [ -n "${NOTARY_APPLE_ID:-}" ] && [ -n "${NOTARY_TEAM_ID:-}" ] && [ -n "${NOTARY_PASSWORD:-}" ]; then
    xcrun notarytool store-credentials portmanager-notary --apple-id "$NOTARY_APPLE_ID" \
        --team-id "$NOTARY_TEAM_ID" --password "$NOTARY_PASSWORD" --keychain "$keychain"
    echo "PORTMANAGER_NOTARY_PROFILE=portmanager-notary" >> "$GITHUB_ENV"
    echo "PORTMANAGER_NOTARY_KEYCHAIN=$keychain" >> "$GITHUB_ENV"
fi
