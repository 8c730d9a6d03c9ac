"""Strict loading: every YAML trap is an error naming file:line and the key path."""
from __future__ import annotations

import textwrap

import pytest

from portmanager_gui.core.registry.defaults import DEFAULT_REGISTRY_YAML
from portmanager_gui.core.registry.load import RegistryError, load, parse


def _router(ports: str) -> str:
    return textwrap.dedent(f"""\
        services:
          router:
            description: Model Router
            ports: {ports}
        """)


def _error(text: str) -> RegistryError:
    with pytest.raises(RegistryError) as info:
        parse(text, "reg.yaml")
    return info.value


def test_default_registry_carries_the_documents_defaults():
    reg = parse(DEFAULT_REGISTRY_YAML, "reg.yaml")
    assert reg.services["router"].ports == (3791, 3003)
    assert reg.services["claracore"].ports == (5800,)
    assert reg.start_port == 8100
    assert reg.groups["large-models"].start_port == 8200
    assert reg.groups["small-models"].start_port == 8300
    expected = {"backend": 8203, "frontend": 3000, "llm": 8611, "llm-original": 8610, "rag": 8602,
                "milvus": 9090, "avatar-manager": 8607, "avatar-base": 8615, "live-server": 8606,
                "tts": 8604, "tts-tacotron": 8605, "tts-sovits": 8608, "tts-cosyvoice": 8609,
                "redis": 6379, "ollama": 11434}
    assert {n: reg.services[n].preferred for n in expected} == expected
    router = reg.services["router"]
    assert router.url_for(3791) == "http://127.0.0.1:3791/"
    assert dict(router.endpoint_urls(3003)) == {"Web Interface": "http://127.0.0.1:3003",
                                                "API Base": "http://127.0.0.1:3003/api"}


@pytest.mark.parametrize("raw, hint", [
    ('[3791, "3003"]', "without quotes"),
    ("[3791, '3003']", "without quotes"),
    ("[3791, 08100]", "leading zeros"),
    ("[3791, 0700]", "leading zeros"),
    ("[3791, 1:30]", "base-60"),
    ("[3791, true]", "boolean"),
    ("[3791, 0x1F]", "plain decimal"),
    ("[3791, 70000]", "out of range"),
    ("[3791, 0]", "not a port"),
    ("[3791, -1]", "not a port"),
    ("[3791, 3003.0]", "plain decimal"),
    ("[3791, 3791]", "already listed"),
    ("[]", "at least one port"),
])
def test_bad_ports_are_rejected_with_file_line_and_key(raw, hint):
    err = _error(_router(raw))
    assert err.file == "reg.yaml"
    assert err.line == 4
    assert err.key.startswith("services.router.ports")
    assert hint in err.message
    assert str(err).startswith("reg.yaml:4: services.router.ports")


def test_the_second_port_is_named_by_index():
    err = _error(_router('[3791, "3003"]'))
    assert err.key == "services.router.ports[1]"


def test_yes_is_not_a_boolean_port_either():
    # YAML 1.1 reads `yes` as true; we report it as not a port whatever the YAML version.
    assert "not a port" in _error(_router("[3791, yes]")).message


def test_duplicate_keys_are_rejected_with_both_lines():
    text = "services:\n  router:\n    ports: [1]\n  router:\n    ports: [2]\n"
    err = _error(text)
    assert (err.line, err.key) == (4, "services.router")
    assert "first defined on line 2" in err.message


def test_unknown_keys_are_rejected():
    err = _error("services:\n  router:\n    ports: [3791]\n    prots: [1]\n")
    assert (err.line, err.key) == (4, "services.router.prots")
    assert "expected one of" in err.message
    assert "unknown key" in _error("servics: {}\n").message


def test_python_tags_are_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    text = f"services:\n  x:\n    ports: [1]\n    description: !!python/object/apply:os.system ['touch {marker}']\n"
    err = _error(text)
    assert err.key == "services.x.description"
    assert not marker.exists()


def test_command_must_be_an_argv_list():
    err = _error('services:\n  x:\n    ports: [1]\n    command: "python app.py; rm -rf /"\n')
    assert "never runs a shell" in err.message
    assert err.key == "services.x.command"


def test_merge_keys_and_missing_ports():
    assert "merge keys" in _error("services:\n  x:\n    <<: {ports: [1]}\n").message
    err = _error("services:\n  x:\n    description: no ports\n")
    assert err.key == "services.x.ports" and "missing" in err.message


def test_invalid_yaml_names_the_line():
    err = _error("services:\n  router:\n    ports: [3791\n")
    assert err.line is not None and "not valid YAML" in err.message


def test_group_range_past_65535_and_reserved_pool_name():
    err = _error("groups:\n  big:\n    start_port: 65500\n    size: 100\n")
    assert err.key == "groups.big" and "65535" in err.message
    err = _error("groups:\n  models:\n    start_port: 9000\n")
    assert "ungrouped pool" in err.message


def test_booleans_and_restart_policies_are_checked():
    assert "true or false" in _error("services:\n  x:\n    ports: [1]\n    expose: yes\n").message
    assert "restart policy" in _error("services:\n  x:\n    ports: [1]\n    restart: sometimes\n").message


def test_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(RegistryError, match="no such file"):
        load(tmp_path / "missing.yaml")
    bad = tmp_path / "bin.yaml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RegistryError, match="not UTF-8"):
        load(bad)


def test_empty_file_is_an_error():
    assert "empty" in _error("").message


@pytest.mark.parametrize("name", ["con", "NUL", "aux", "prn", "com1", "LPT9", "nul.backup", "router."])
def test_names_windows_cannot_use_as_files_are_refused_on_every_os(name):
    # names become log file names (logs/<name>.log), and one registry serves every OS
    err = _error(_router("[3791]").replace("  router:", f"  {name}:"))
    assert err.key == f"services.{name}" and err.line == 2
    assert "Windows" in err.message and "choose another name" in err.message


@pytest.mark.parametrize("name", ["console", "auxiliary", "com10", "nullable", "router.v2", "lpt"])
def test_names_that_only_look_like_device_names_are_fine(name):
    assert name in parse(_router("[3791]").replace("  router:", f"  {name}:"), "reg.yaml").services


def test_the_group_editor_refuses_device_names_too():
    from portmanager_gui.core.registry.edit_checks import preview_group

    registry = parse(_router("[3791]"), "reg.yaml")
    assert any("Windows" in e for e in preview_group(registry, "aux", 9000, 4, ["m1"]).errors)
    assert any("Windows" in e for e in preview_group(registry, "big", 9000, 4, ["nul"]).errors)


@pytest.mark.parametrize("text, key, line", [
    ("services:\n  web:\n    ports: [1]\n  Web:\n    ports: [2]\n", "services.Web", 4),
    ("groups:\n  big:\n    start_port: 9000\n    members: [m1]\n  BIG:\n    start_port: 9100\n    members: [m2]\n",
     "groups.BIG", 5),
    ("groups:\n  big:\n    start_port: 9000\n    members: [llama, Llama]\n", "groups.big.members[1]", 4),
])
def test_names_that_differ_only_in_case_are_refused(text, key, line):
    # macOS and Windows file systems ignore case: both would write one log file, one lock
    err = _error(text)
    assert (err.key, err.line) == (key, line) and "only in upper/lower case" in err.message
