"""wsl.cuda.nvidia_container_toolkit and wsl.cuda.proxy, each run in a play without wsl.cuda.dockerd_startup,
restarted the dockerd that the first play had started (their "Restart docker" handler ran)."""

import json


def _dockerd_pid(host):
    return host.file("/var/run/docker.pid").content_string.strip()


def test_dockerd_runs_from_its_pidfile(host):
    pid = _dockerd_pid(host)
    assert pid.isdigit()
    assert host.file("/proc/%s/comm" % pid).content_string.strip() == "dockerd"


def test_restarted_after_the_toolkit_changed_daemon_json(host):
    # dockerd reads "runtimes" at start-up: it lists nvidia only if it was restarted after daemon.json changed.
    daemon_json = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert "nvidia" in daemon_json["runtimes"]
    out = host.check_output("docker info --format '{{json .Runtimes}}'")
    assert "nvidia" in json.loads(out)


def test_restarted_after_the_proxy_changed_dockerds_environment(host):
    environ = host.check_output("cat /proc/%s/environ | tr '\\0' '\\n'" % _dockerd_pid(host)).splitlines()
    assert "HTTP_PROXY=http://127.0.0.1:3128" in environ
    assert not host.file("/etc/apt/apt.conf.d/80wsl-cuda-proxy").exists
