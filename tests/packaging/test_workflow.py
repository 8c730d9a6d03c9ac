"""The GitHub workflow cannot run here: its shape is checked instead. The whole suite runs on
each OS Port Manager ships for (two Pythons) before any bundle is built, each bundle is
smoke-tested on its OS, and every script the workflow calls exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "build.yml"
OSES = {"ubuntu-22.04", "windows-2022", "macos-14", "macos-15-intel"}
# Runner images GitHub has retired: a job asking for one is never scheduled (macos-13, the last
# Intel image of that line, went on 2025-12-04; macos-15-intel is the Intel runner until 2027).
RETIRED = {"ubuntu-18.04", "ubuntu-20.04", "windows-2016", "windows-2019", "macos-10.15", "macos-11", "macos-12",
           "macos-13", "macos-13-large", "macos-13-xlarge"}


@pytest.fixture(scope="module")
def workflow() -> dict:
    return YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_the_suite_runs_on_every_os_and_two_pythons_before_packaging(workflow):
    test = workflow["jobs"]["test"]
    matrix = test["strategy"]["matrix"]
    assert set(matrix["os"]) == OSES                         # Linux, Windows, Apple silicon, Intel Mac
    assert test["runs-on"] == "${{ matrix.os }}"
    assert "3.11" in matrix["python"] and len(matrix["python"]) == 2
    newest = next(v for v in matrix["python"] if v != "3.11")
    assert newest == "3.x" or tuple(map(int, newest.split("."))) > (3, 11)
    assert test["strategy"]["fail-fast"] is False            # one OS failing still shows the others
    setup = next(s for s in test["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert test["env"]["QT_QPA_PLATFORM"] == "offscreen"
    # the whole suite: pytest with no path or -k/-m selection (pyproject's testpaths = tests)
    pytest_line = next(line for line in _runs(test).splitlines() if "pytest" in line)
    assert not re.search(r"\s(-k|-m|--deselect|tests/)", pytest_line.split("pytest", 1)[1])
    assert '".[test]"' in _runs(test)
    for job in ("linux", "macos", "windows"):
        assert workflow["jobs"][job]["needs"] in ("test", ["test"])


def test_no_job_asks_for_a_retired_runner_image(workflow):
    for name, job in workflow["jobs"].items():
        labels = set(job.get("strategy", {}).get("matrix", {}).get("os", [])) | {job["runs-on"]}
        assert not labels & RETIRED, f"job {name} runs on a retired image: {sorted(labels & RETIRED)}"


def test_each_bundle_is_built_and_smoke_tested_on_its_own_os(workflow):
    jobs = workflow["jobs"]
    assert jobs["linux"]["runs-on"].startswith("ubuntu-")
    assert set(jobs["macos"]["strategy"]["matrix"]["os"]) == {"macos-14", "macos-15-intel"}   # arm64 and x86_64
    assert jobs["windows"]["runs-on"].startswith("windows-")
    for name in ("linux", "macos", "windows"):
        runs = _runs(jobs[name])
        assert re.search(r"packaging[/\\]smoke_test\.py", runs), name
    assert "test_installer.ps1" in _runs(jobs["windows"])
    uploads = [s for s in jobs["windows"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert "-setup.exe" in uploads[0]["with"]["path"]


def test_signing_secrets_reach_a_keychain_and_signtool(workflow):
    mac = workflow["jobs"]["macos"]
    step = next(s for s in mac["steps"] if "macos_keychain.sh" in s.get("run", ""))
    assert {"CERT_P12_BASE64", "CERT_PASSWORD"} <= set(step["env"])
    win = workflow["jobs"]["windows"]
    step = next(s for s in win["steps"] if "windows_certificate.ps1" in s.get("run", ""))
    assert {"CERT_PFX_BASE64", "CERT_PASSWORD"} <= set(step["env"])
    keychain = (REPO / "packaging" / "macos_keychain.sh").read_text(encoding="utf-8")
    assert "security import" in keychain and "set-key-partition-list" in keychain
    assert "PORTMANAGER_CODESIGN_IDENTITY" in keychain          # what build_macos.sh reads
    build = (REPO / "packaging" / "build_windows.ps1").read_text(encoding="utf-8")
    assert "Windows Kits" in build                            # signtool found in the SDK, not PATH


def test_a_tag_attaches_every_bundle_to_a_release(workflow):
    release = workflow["jobs"]["release"]
    assert set(release["needs"]) == {"linux", "macos", "windows"}
    assert "refs/tags/v" in release["if"]
    assert release["permissions"]["contents"] == "write"
    assert any(s.get("uses", "").startswith("softprops/action-gh-release") for s in release["steps"])
    assert workflow["permissions"]["contents"] == "read"      # only the release job may write


def test_every_script_the_workflow_calls_exists(workflow):
    text = WORKFLOW.read_text(encoding="utf-8")
    scripts = set(re.findall(r"(?<!tests/)packaging[/\\]([\w.]+\.(?:sh|ps1|py))", text))
    assert scripts >= {"smoke_test.py", "build_windows.ps1", "macos_keychain.sh", "windows_certificate.ps1",
                       "test_installer.ps1"}
    for name in scripts:
        assert (REPO / "packaging" / name).is_file(), name
