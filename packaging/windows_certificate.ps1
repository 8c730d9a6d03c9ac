# CI (Windows): import the code-signing certificate from the repository secrets into the
# user's certificate store and hand its thumbprint to build_windows.ps1
# (PORTMANAGER_SIGN_CERT_SHA1, through GITHUB_ENV). Without CERT_PFX_BASE64 it does nothing.
#   CERT_PFX_BASE64, CERT_PASSWORD   the exported code-signing .pfx, base64
$ErrorActionPreference = "Stop"
if (-not $env:CERT_PFX_BASE64) {
    Write-Host "no signing certificate in the secrets: the exe and installer stay unsigned"
    exit 0
}
$pfx = Join-Path $env:RUNNER_TEMP "certificate.pfx"
[IO.File]::WriteAllBytes($pfx, [Convert]::FromBase64String($env:CERT_PFX_BASE64))
$password = ConvertTo-SecureString -String $env:CERT_PASSWORD -AsPlainText -Force
$cert = Import-PfxCertificate -FilePath $pfx -CertStoreLocation Cert:\CurrentUser\My -Password $password
Remove-Item $pfx
if (-not $cert.HasPrivateKey) { throw "the certificate in CERT_PFX_BASE64 has no private key" }
"PORTMANAGER_SIGN_CERT_SHA1=$($cert.Thumbprint)" | Out-File -FilePath $env:GITHUB_ENV -Append -Encoding utf8
Write-Host "signing with $($cert.Subject) ($($cert.Thumbprint))"
