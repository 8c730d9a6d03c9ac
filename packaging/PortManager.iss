; Inno Setup 6 script: a per-user installer for Port Manager (no admin rights, no UAC prompt).
; Built by build_windows.ps1: ISCC /DAppVersion=<version> /DAppArch=<x64|arm64> packaging\PortManager.iss
; Installs dist\PortManager\ to %LOCALAPPDATA%\Programs\Port Manager, adds a Start-menu entry, an
; entry in Settings > Apps (uninstall), and optionally the folder to the user's PATH so that
; `portmanager` (the console exe) works in cmd and PowerShell. Uninstalling removes all three
; and the start-at-login value, and keeps the registry, state and logs of the user.
#ifndef AppVersion
  #error Pass /DAppVersion=<version> (build_windows.ps1 does)
#endif
#ifndef AppArch
  #define AppArch "x64"
#endif

[Setup]
; the same id for every version: a new installer updates the installed copy
AppId={{6C1D4B8E-5C2B-4B0E-9A67-3F1E2B7D9A41}
AppName=Port Manager
AppVersion={#AppVersion}
AppPublisher=Port Manager contributors
AppVerName=Port Manager {#AppVersion}
PrivilegesRequired=lowest
DefaultDirName={autopf}\Port Manager
DefaultGroupName=Port Manager
DisableProgramGroupPage=yes
UninstallDisplayName=Port Manager
UninstallDisplayIcon={app}\Port Manager.exe
SetupIconFile=..\resources\icons\PortManager.ico
OutputDir=..\dist
OutputBaseFilename=PortManager-{#AppVersion}-windows-{#AppArch}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
; the running app holds its files: Restart Manager closes it, the installer restarts it
CloseApplications=yes
RestartApplications=yes
#if AppArch == "arm64"
ArchitecturesAllowed=arm64
ArchitecturesInstallIn64BitMode=arm64
#else
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
#endif

[Tasks]
Name: "addtopath"; Description: "Add the portmanager command to PATH (cmd, PowerShell)"

[Files]
Source: "..\dist\PortManager\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; files of an older version that this one no longer has
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Port Manager"; Filename: "{app}\Port Manager.exe"; Comment: "Ports of your local AI stack"

[Registry]
; start at login is switched on in the app; only its value is removed on uninstall
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: none; ValueName: "PortManager"; Flags: uninsdeletevalue dontcreatekey

[Run]
Filename: "{app}\Port Manager.exe"; Parameters: "--show"; Description: "Start Port Manager"; Flags: nowait postinstall skipifsilent

[Code]
const
  EnvKey = 'Environment';

function PathHas(Paths, Dir: string): Boolean;
begin
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') > 0;
end;

procedure AddToPath(Dir: string);
var
  Paths: string;
begin
  if not RegQueryStringValue(HKCU, EnvKey, 'Path', Paths) then
    Paths := '';
  if PathHas(Paths, Dir) then
    exit;
  if (Paths <> '') and (Copy(Paths, Length(Paths), 1) <> ';') then
    Paths := Paths + ';';
  RegWriteExpandStringValue(HKCU, EnvKey, 'Path', Paths + Dir);
end;

procedure RemoveFromPath(Dir: string);
var
  Paths: string;
  P: Integer;
begin
  if not RegQueryStringValue(HKCU, EnvKey, 'Path', Paths) then
    exit;
  Paths := ';' + Paths + ';';
  P := Pos(';' + Uppercase(Dir) + ';', Uppercase(Paths));
  if P = 0 then
    exit;
  Delete(Paths, P, Length(Dir) + 1);
  Paths := Copy(Paths, 2, Length(Paths) - 2);
  RegWriteExpandStringValue(HKCU, EnvKey, 'Path', Paths);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
    AddToPath(ExpandConstant('{app}'));
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
