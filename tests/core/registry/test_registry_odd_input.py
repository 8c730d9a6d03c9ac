"""Odd bytes and odd files: every one is a ``RegistryError`` naming the file, never a crash or a hang."""
from __future__ import annotations

import os
import sys

import pytest

from portmanager_gui.core.registry import load as load_mod
from portmanager_gui.core.registry.load import RegistryError, load, parse


def _error(text: str) -> RegistryError:
    with pytest.raises(RegistryError) as info:
        parse(text, "reg.yaml")
    return info.value


def test_an_alias_of_a_port_list_is_refused():
    text = "services:\n  a:\n    ports: &p [41010]\n  b:\n    ports: *p\n"
    err = _error(text)
    assert err.line == 3 and "anchor" in err.message and err.key == "services.a.ports"


def test_an_alias_alone_is_refused_with_its_line():
    text = "start_port: 8100\nservices:\n  a:\n    ports: [41010]\n    env: {A: &x hello}\n  b:\n    ports: [2]\n"
    err = _error(text)
    assert err.line == 5 and "anchor" in err.message


@pytest.mark.parametrize("text, where", [
    ("services:\n  a:\n    ports: [1]\n    description: bell\x07here\n", "line 4"),
    ("services:\n  a:\n    ports: [1]\n    description: nul\x00here\n", "line 4"),
])
def test_control_characters_name_the_line(text, where):
    err = _error(text)
    assert err.line == int(where.split()[1]) and "character" in err.message


def test_deep_nesting_is_an_error_not_a_crash():
    err = _error("services: " + "[" * 800 + "]" * 800 + "\n")
    assert "deep" in err.message


def test_non_utf8_bytes_name_the_byte_offset(tmp_path):
    path = tmp_path / "registry.yaml"
    path.write_bytes(b"services:\n  a:\n    ports: [1]\n    description: caf\xe9\n")
    with pytest.raises(RegistryError) as info:
        load(path)
    offset = path.read_bytes().index(b"\xe9")
    assert info.value.line == 4 and "UTF-8" in info.value.message and f"byte {offset}" in info.value.message


def test_a_huge_registry_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "registry.yaml"
    path.write_text("# x\n" * 100)
    monkeypatch.setattr(load_mod, "MAX_BYTES", 200)
    with pytest.raises(RegistryError) as info:
        load(path)
    assert "too large" in info.value.message


def test_a_directory_is_not_a_registry(tmp_path):
    with pytest.raises(RegistryError) as info:
        load(tmp_path)
    assert "not a regular file" in info.value.message


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "registry.yaml"
    os.mkfifo(fifo)
    with pytest.raises(RegistryError) as info:
        load(fifo)
    assert "not a regular file" in info.value.message


@pytest.mark.parametrize("host", ["127.0.0.1; touch x", "a b", "http://x", "-bad", "x/y", "[::1]"])
def test_a_host_that_is_not_a_host_is_refused(host):
    err = _error(f"services:\n  a:\n    ports: [1]\n    host: {host!r}\n")
    assert err.key == "services.a.host" and "not a host name" in err.message


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "0.0.0.0", "localhost", "my-box.lan", "fe80::1"])
def test_real_hosts_are_accepted(host):
    assert parse(f"services:\n  a:\n    ports: [1]\n    host: {host!r}\n", "r.yaml").services["a"].host == host
