"""The UI words the services' typed failures (they carry values, never sentences)."""
from __future__ import annotations

from pathlib import Path

from portmanager_gui.services.background import Fault, JobFailure
from portmanager_gui.services.registry_store import StoreProblem, StoreTrouble
from portmanager_gui.ui import text

REG = Path("/home/me/.config/PortManager/registry.yaml")


def test_a_registry_problem_names_the_file_and_what_to_do():
    invalid = StoreProblem(StoreTrouble.INVALID, REG, f"{REG}:4: services.router.ports: not a port number")
    assert text.store_problem(invalid) == invalid.detail
    kept = StoreProblem(StoreTrouble.INVALID, REG, invalid.detail, kept_last=True)
    assert text.store_problem(kept) == f"{invalid.detail} (still using the last registry that loaded)"
    missing = text.store_problem(StoreProblem(StoreTrouble.MISSING, Path("/tmp/mine.yaml"), kept_last=True))
    assert missing.startswith("/tmp/mine.yaml: the registry file is missing") and "mine.yaml.bak" in missing
    assert text.store_problem(StoreProblem(StoreTrouble.CANNOT_CREATE, REG, "Permission denied")) == (
        f"{REG}: cannot be created (Permission denied); check the folder's permissions")
    assert text.store_problem(StoreProblem(StoreTrouble.NOT_WRITTEN, REG, "No space left")) == (
        f"{REG}: cannot be written (No space left); nothing was changed")
    alloc = Path("/s/allocations.json")
    assert "model-server ports may move" in text.store_problem(StoreProblem(StoreTrouble.NOT_REMEMBERED, alloc, "x"))
    refused = StoreProblem(StoreTrouble.SAVE_REFUSED, REG, f"{REG}: changed on disk since it was loaded; reload")
    assert text.store_problem(refused) == refused.detail


def test_a_failed_job_says_the_file_and_the_reason():
    os_error = JobFailure(Fault.OS, "Permission denied", "/etc/ports.py")
    assert text.job_failure(os_error) == "/etc/ports.py: Permission denied; check the path and its permissions"
    assert text.job_failure(JobFailure(Fault.OS, "Broken pipe")).startswith("a file: Broken pipe")
    bad = JobFailure(Fault.BAD_INPUT, "/x/config.yaml:3: models.a: no port in cmd; add --port ${PORT}")
    assert text.import_failed(bad) == f"Import failed: {bad.detail} (nothing was written)"
    assert text.scan_failed(JobFailure(Fault.BUG, "KeyError: 'x'")) == "Scanning ports failed: KeyError: 'x'"
