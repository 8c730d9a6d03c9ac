# Build the Windows app: dist\PortManager\PortManager.exe (no console window) and
# dist\PortManager-<version>-windows-<arch>.zip (PORTMANAGER_NO_ARCHIVE=1 skips the zip).
#   PYTHON                        the Python with '.[package]' (default .venv\Scripts\python.exe; created if missing)
#   PORTMANAGER_SIGN_CERT_SHA1    thumbprint of a code-signing certificate in the user's store:
#                                 signs PortManager.exe with signtool (SmartScreen trusts signed apps sooner)
# Run with PowerShell 7 (pwsh), as the GitHub workflow does.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

$py = if ($env:PYTHON) { $env:PYTHON } else { ".venv\Scripts\python.exe" }
if (-not (Test-Path $py)) {
    py -3 -m venv .venv
    if ($LASTEXITCODE -ne 0) { throw "could not create .venv: install Python 3.11+ from python.org" }
    $py = ".venv\Scripts\python.exe"
}
# find_spec, not "import": nothing on stderr (Windows PowerShell turns redirected stderr into errors)
& $py -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('PyInstaller') is None)"
if ($LASTEXITCODE -ne 0) {
    & $py -m pip install --quiet -e ".[package]"
    if ($LASTEXITCODE -ne 0) { throw "pip install -e .[package] failed" }
}

$version = (& $py -c "from portmanager_gui import __version__; print(__version__)").Trim()
& $py -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build\pyinstaller packaging\PortManager.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

$exe = "dist\PortManager\PortManager.exe"
$info = (Get-Item $exe).VersionInfo
if ($info.ProductVersion -ne $version) { throw "$exe has version '$($info.ProductVersion)', the package has '$version'" }

if ($env:PORTMANAGER_SIGN_CERT_SHA1) {
    signtool sign /sha1 $env:PORTMANAGER_SIGN_CERT_SHA1 /fd SHA256 /tr http://timestamp.digicert.com /td SHA256 $exe
    if ($LASTEXITCODE -ne 0) { throw "signtool failed" }
}
Write-Host "built $exe, version $version"

if ($env:PORTMANAGER_NO_ARCHIVE -ne "1") {
    $arch = if ($env:PROCESSOR_ARCHITECTURE -eq "ARM64") { "arm64" } else { "x64" }
    $zip = "dist\PortManager-$version-windows-$arch.zip"
    Compress-Archive -Path "dist\PortManager" -DestinationPath $zip -Force
    Write-Host "built $zip"
}
