# CI (Windows): install the per-user installer silently, check what it made (files, Start-menu
# entry, Settings > Apps entry, PATH), smoke-test the installed app, uninstall, check it is gone.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$setup = Get-ChildItem dist\PortManager-*-windows-*-setup.exe | Select-Object -First 1
if (-not $setup) { throw "no installer in dist\: run build_windows.ps1 first" }
$dir = Join-Path $env:RUNNER_TEMP "Port Manager test install"
$log = Join-Path $env:RUNNER_TEMP "portmanager-setup.log"

$p = Start-Process -FilePath $setup.FullName -Wait -PassThru -ArgumentList @(
    "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/CURRENTUSER", "/TASKS=addtopath", "/DIR=`"$dir`"", "/LOG=`"$log`"")
if ($p.ExitCode -ne 0) { Get-Content $log; throw "the installer exited $($p.ExitCode)" }

foreach ($file in @("Port Manager.exe", "portmanager.exe", "unins000.exe")) {
    if (-not (Test-Path (Join-Path $dir $file))) { throw "the installer did not install $file" }
}
$menu = Join-Path $env:APPDATA "Microsoft\Windows\Start Menu\Programs\Port Manager.lnk"
if (-not (Test-Path $menu)) { throw "no Start-menu entry at $menu" }
$uninstallKey = "HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\{6C1D4B8E-5C2B-4B0E-9A67-3F1E2B7D9A41}_is1"
$entry = Get-ItemProperty $uninstallKey
if ($entry.DisplayName -ne "Port Manager") { throw "no Settings > Apps entry under $uninstallKey" }
$userPath = (Get-ItemProperty HKCU:\Environment).Path
if (-not ($userPath -split ";" -contains $dir)) { throw "$dir was not added to the user's PATH" }

& .venv\Scripts\python packaging\smoke_test.py (Join-Path $dir "Port Manager.exe")
if ($LASTEXITCODE -ne 0) { throw "the installed app failed its smoke test" }

$p = Start-Process -FilePath (Join-Path $dir "unins000.exe") -Wait -PassThru -ArgumentList @("/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART")
if ($p.ExitCode -ne 0) { throw "the uninstaller exited $($p.ExitCode)" }
# the uninstaller finishes from a copy of itself in %TEMP%: wait for the folder to go
for ($i = 0; $i -lt 100 -and (Test-Path (Join-Path $dir "Port Manager.exe")); $i++) { Start-Sleep -Milliseconds 200 }
if (Test-Path (Join-Path $dir "Port Manager.exe")) { throw "the uninstaller left $dir" }
if (Test-Path $menu) { throw "the uninstaller left the Start-menu entry" }
if (Test-Path $uninstallKey) { throw "the uninstaller left its Settings > Apps entry" }
$userPath = (Get-ItemProperty HKCU:\Environment).Path
if ($userPath -split ";" -contains $dir) { throw "the uninstaller left $dir in PATH" }
Write-Host "ok: installed, smoke-tested and uninstalled $($setup.Name)"
