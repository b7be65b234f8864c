"""WSL with systemd as PID 1: docker.service runs dockerd, with the proxy from its drop-in, and the GPU works."""

import json

PROXY = "http://proxy.corp.invalid:3128"
NO_PROXY = "localhost,127.0.0.1,deb.debian.org,.debian.org"


def _wsl_boot(host):
    section, boot = None, {}
    for raw in host.file("/etc/wsl.conf").content_string.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == "boot" and "=" in line:
            key, _sep, value = line.partition("=")
            boot[key.strip()] = value.strip()
    return boot


def test_systemd_is_pid_1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    assert host.file("/run/systemd/system").is_directory


def test_docker_service_runs_dockerd_and_is_enabled(host):
    service = host.service("docker")
    assert service.is_running
    assert service.is_enabled
    pid = host.check_output("systemctl show --property MainPID --value docker.service")
    assert host.file("/proc/%s/comm" % pid).content_string.strip() == "dockerd"
    # Not the background start script: no pidfile of ours, no second dockerd.
    assert host.check_output("grep -lx dockerd /proc/[0-9]*/comm | wc -l") == "1"
    assert not host.file("/var/run/docker.pid").exists or host.file("/var/run/docker.pid").content_string.strip() == pid


def test_wsl_conf_asks_for_systemd_without_a_boot_command(host):
    boot = _wsl_boot(host)
    assert boot.get("systemd") == "true"
    assert "command" not in boot


def test_dockerd_gets_the_proxy_through_the_drop_in(host):
    files = host.check_output("systemctl show --property EnvironmentFiles --value docker.service")
    assert files.startswith("/etc/wsl-cuda/dockerd.env")
    info = host.check_output("docker info --format '{{.HTTPProxy}}|{{.HTTPSProxy}}|{{.NoProxy}}'")
    assert info == "%s|%s|%s" % (PROXY, PROXY, NO_PROXY)


def test_nvidia_runtime_and_smoke_test(host):
    runtimes = host.check_output("docker info --format '{{json .Runtimes}}'")
    assert "nvidia" in json.loads(runtimes)
    report = json.loads(host.file("/var/lib/wsl-cuda/nbody-report.json").content_string)
    assert report["passed"] is True
    assert report["gpu"]["gflops"] > 0
