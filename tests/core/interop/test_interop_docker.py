"""Container names for ports published by Docker, from real-format `docker ps` output."""
from __future__ import annotations

import sys
from pathlib import Path

from portmanager_gui.core.interop import docker
from portmanager_gui.text.kill import container_stop_failure

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


def _runner(result, calls):
    def run(argv, timeout):
        calls.append((list(argv), timeout))
        return result
    return run


def test_parse_fixture_output():
    ports = docker.parse_ps((FIXTURES / "docker_ps.jsonl").read_text())
    assert ports[(6379, "tcp")].container == "avatar-stack-redis-1"
    assert ports[(6379, "tcp")].host_ip == "127.0.0.1"
    assert ports[(9090, "tcp")].target == 19530
    assert ports[(9091, "tcp")].container == "avatar-stack-milvus-1"
    assert ports[(11434, "tcp")].container == "ollama"
    assert (8053, "udp") in ports and ports[(8054, "udp")].target == 54   # a published range
    assert (9000, "tcp") not in ports                                     # exposed, not published


def test_published_ports_when_the_engine_answers():
    calls = []
    out = (FIXTURES / "docker_ps.jsonl").read_text()
    result = docker.published_ports(which=lambda n: "/usr/bin/docker",
                                    run=_runner(docker.CommandResult(0, out), calls))
    assert result.available and result.container_for(6379) == "avatar-stack-redis-1"
    assert result.container_for(1) is None
    assert calls == [(["/usr/bin/docker", "ps", "--format", "{{json .}}"], 3.0)]


def test_no_docker_client():
    calls = []
    result = docker.published_ports(which=lambda n: None, run=_runner(None, calls))
    assert not result.available and "not installed" in result.reason and calls == []


def test_client_without_engine():
    err = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
    result = docker.published_ports(which=lambda n: "docker", run=_runner(docker.CommandResult(1, "", err), []))
    assert not result.available
    assert result.reason == f"the Docker engine is not reachable ({err.strip()})"


def test_engine_that_does_not_answer():
    result = docker.published_ports(which=lambda n: "docker", run=_runner(docker.CommandResult(None), []))
    assert not result.available and "did not answer within 3 s" in result.reason


def test_real_runner_with_a_real_child():
    ok = docker.run_command([sys.executable, "-c", "print('hi')"], 30)
    assert (ok.returncode, ok.stdout) == (0, "hi\n")
    missing = docker.run_command(["/nonexistent/docker"], 30)
    assert missing.returncode == 127


def test_real_runner_timeout():
    code = "import threading; threading.Event().wait()"  # blocks until run_command's timeout kills it
    slow = docker.run_command([sys.executable, "-c", code], 0.5)
    assert slow.returncode is None


def test_forwarder_names():
    assert docker.is_forwarder("docker-proxy") and docker.is_forwarder("com.docker.backend")
    assert not docker.is_forwarder("redis-server")


def test_cleanly_reports_on_this_machine():
    # Whatever this machine has (no docker, a client without engine, or a running engine),
    # the answer is a value, never an exception.
    result = docker.published_ports(timeout=10)
    assert result.available or result.reason


def test_stop_container_runs_the_runtimes_own_command_as_an_argv_list():
    calls: list = []
    result = docker.stop_container("web", which=lambda n: "/usr/bin/docker",
                                   run=_runner(docker.CommandResult(0, "web\n"), calls))
    assert result.ok and calls == [(["/usr/bin/docker", "stop", "web"], 30.0)]


def test_stop_container_failures_say_why():
    err = "Error response from daemon: No such container: web\n"
    failed = docker.stop_container("web", which=lambda n: "docker", run=_runner(docker.CommandResult(1, "", err), []))
    assert not failed.ok and failed.trouble is docker.StopTrouble.REFUSED and failed.returncode == 1
    assert failed.engine_error == "Error response from daemon: No such container: web"   # the engine's own line
    assert container_stop_failure(failed) == failed.engine_error
    silent = docker.stop_container("web", which=lambda n: "docker", run=_runner(docker.CommandResult(125, "", ""), []))
    assert silent.engine_error == "" and container_stop_failure(silent) == "exit 125"
    slow = docker.stop_container("web", which=lambda n: "docker", run=_runner(docker.CommandResult(None), []))
    assert not slow.ok and slow.trouble is docker.StopTrouble.TIMEOUT and slow.timeout == 30.0
    assert container_stop_failure(slow) == "`docker stop web` did not finish within 30 s"
    missing = docker.stop_container("web", which=lambda n: None, runtime="podman")
    assert not missing.ok and missing.trouble is docker.StopTrouble.NO_PROGRAM
    assert container_stop_failure(missing) == "no `podman` command on PATH"


def test_podman_ps_output_names_each_published_port():
    ports = docker.parse_podman_ps((FIXTURES / "podman_ps.json").read_text())
    assert ports[(16379, "tcp")].container == "cache" and ports[(16379, "tcp")].host_ip == "127.0.0.1"
    assert [ports[(p, "tcp")].target for p in (8080, 8081, 8082)] == [80, 81, 82]      # a published range
    assert ports[(5353, "udp")].container == "site_web_1"
    assert not any(p.container == "worker" for p in ports.values())                   # publishes nothing
    old = '[{"Names": ["api"], "Ports": [{"hostPort": 9000, "containerPort": 9000, "protocol": "tcp", "hostIP": ""}]}]'
    assert docker.parse_podman_ps(old)[(9000, "tcp")].container == "api"                # Podman 2-3
    assert docker.parse_podman_ps("not json") == {} and docker.parse_podman_ps("") == {}


def test_podman_is_asked_with_its_own_command_and_stopped_with_it():
    calls = []
    out = (FIXTURES / "podman_ps.json").read_text()
    result = docker.published_ports(which=lambda n: f"/usr/bin/{n}", run=_runner(docker.CommandResult(0, out), calls),
                                    runtime="podman")
    assert result.available and result.container_for(16379) == "cache"
    assert calls == [(["/usr/bin/podman", "ps", "--format", "json"], 3.0)]
    missing = docker.published_ports(which=lambda n: None, runtime="podman")
    assert not missing.available and missing.reason == "Podman is not installed (no `podman` command on PATH)"
    stops = []
    assert docker.stop_container("cache", which=lambda n: f"/usr/bin/{n}", runtime="podman",
                                 run=_runner(docker.CommandResult(0, "cache\n"), stops)).ok
    assert stops == [(["/usr/bin/podman", "stop", "cache"], 30.0)]


def test_forwarders_name_their_runtime():
    assert [docker.runtime_of(n) for n in ("docker-proxy", "com.docker.backend.exe", "rootlessport", "conmon",
                                           "gvproxy.exe", "python3")] == ["docker", "docker", "podman", "podman",
                                                                         "podman", ""]
