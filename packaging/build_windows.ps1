# Build the Windows app: dist\PortManager\ with "Port Manager.exe" (windowed) and
# portmanager.exe (the console command), dist\PortManager-<version>-windows-<arch>.zip and the
# per-user installer dist\PortManager-<version>-windows-<arch>-setup.exe (Inno Setup 6;
# PORTMANAGER_NO_ARCHIVE=1 skips the zip and the installer).
#   PYTHON                        the Python with '.[package]' (default .venv\Scripts\python.exe; created if missing)
#   PORTMANAGER_SIGN_CERT_SHA1    thumbprint of a code-signing certificate in the user's store:
#                                 signs both exes and the installer with signtool (SmartScreen trusts signed apps sooner)
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

$exes = @("dist\PortManager\Port Manager.exe", "dist\PortManager\portmanager.exe")
foreach ($exe in $exes) {
    if (-not (Test-Path $exe)) { throw "PyInstaller made no $exe" }
    $info = (Get-Item $exe).VersionInfo
    if ($info.ProductVersion -ne $version) { throw "$exe has version '$($info.ProductVersion)', the package has '$version'" }
}

# signtool comes with the Windows SDK and is not on PATH: the newest one for this machine.
function Find-SignTool {
    $onPath = Get-Command signtool.exe -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    $arch = if ($env:PROCESSOR_ARCHITECTURE -eq "ARM64") { "arm64" } else { "x64" }
    $kits = Join-Path ${env:ProgramFiles(x86)} "Windows Kits\10\bin"
    $found = Get-ChildItem -Path $kits -Filter signtool.exe -Recurse -ErrorAction SilentlyContinue |
        Where-Object { $_.Directory.Name -eq $arch } | Sort-Object { $_.Directory.Parent.Name } -Descending |
        Select-Object -First 1
    if (-not $found) { throw "signtool.exe not found: install the Windows SDK (Signing Tools)" }
    return $found.FullName
}

function Sign-Files([string[]] $files) {
    if (-not $env:PORTMANAGER_SIGN_CERT_SHA1) { return }
    $signtool = Find-SignTool
    & $signtool sign /sha1 $env:PORTMANAGER_SIGN_CERT_SHA1 /fd SHA256 /tr http://timestamp.digicert.com /td SHA256 @files
    if ($LASTEXITCODE -ne 0) { throw "signtool failed" }
}

Sign-Files $exes
Write-Host "built $($exes -join ', '), version $version"

if ($env:PORTMANAGER_NO_ARCHIVE -ne "1") {
    $arch = if ($env:PROCESSOR_ARCHITECTURE -eq "ARM64") { "arm64" } else { "x64" }
    $zip = "dist\PortManager-$version-windows-$arch.zip"
    Compress-Archive -Path "dist\PortManager" -DestinationPath $zip -Force
    Write-Host "built $zip"

    # Inno Setup 6 (preinstalled on GitHub's windows-2022 image; elsewhere: winget install JRSoftware.InnoSetup)
    $iscc = Get-Command iscc.exe -ErrorAction SilentlyContinue
    $iscc = if ($iscc) { $iscc.Source } else { Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe" }
    if (-not (Test-Path $iscc)) { throw "Inno Setup 6 (ISCC.exe) not found: winget install JRSoftware.InnoSetup" }
    & $iscc /Q "/DAppVersion=$version" "/DAppArch=$arch" packaging\PortManager.iss
    if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
    $setup = "dist\PortManager-$version-windows-$arch-setup.exe"
    Sign-Files @($setup)
    Write-Host "built $setup"
}
