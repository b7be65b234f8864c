"""What the user sees after the site play: dockerd up in the background, wsl.conf merged, the N-body report.

The instance is reached as root (molecule's docker connection), so no sudo.
"""

import json

import pytest

PIDFILE = "/var/run/docker.pid"
LOG = "/var/log/dockerd.log"
SCRIPT = "/usr/local/sbin/wsl-cuda-dockerd"
WSL_CONF = "/etc/wsl.conf"
REPORT = "/var/lib/wsl-cuda/nbody-report.json"


def _wsl_conf_sections(text):
    """Parse wsl.conf into {section: {key: value}} without configparser's interpolation."""
    sections, current = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        key, _separator, value = line.partition("=")
        assert current is not None, "key outside a section in wsl.conf: %r" % raw
        current[key.strip()] = value.strip()
    return sections


def test_dockerd_answers(host):
    result = host.run("docker info --format '{{.ServerVersion}}'")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip()


def test_dockerd_runs_in_the_background_with_pidfile_and_log(host):
    assert not host.file("/run/systemd/system").is_directory, "the test bed has no systemd as PID 1"
    pidfile = host.file(PIDFILE)
    assert pidfile.is_file
    pid = pidfile.content_string.strip()
    assert pid.isdigit()
    assert host.file("/proc/%s/comm" % pid).content_string.strip() == "dockerd"
    log = host.file(LOG)
    assert log.is_file
    assert "API listen on" in log.content_string


def test_start_script_installed(host):
    script = host.file(SCRIPT)
    assert script.is_file
    assert script.mode == 0o755
    result = host.run("%s start", SCRIPT)
    # dockerd is up already: the script leaves it alone.
    assert result.rc == 0, result.stderr
    assert result.stdout.startswith("running ")


def test_wsl_conf_boot_command_merged(host):
    conf = host.file(WSL_CONF)
    assert conf.is_file
    assert conf.mode == 0o644
    sections = _wsl_conf_sections(conf.content_string)
    # The prepare step's own sections and keys are kept as they were.
    assert sections["automount"]["options"] == '"metadata"'
    assert sections["network"]["generateResolvConf"] == "true"
    # The boot command starts dockerd with the role's script.
    assert SCRIPT + " start" in sections["boot"]["command"]
    assert conf.content_string.count("[boot]") == 1


@pytest.fixture(name="report")
def fixture_report(host):
    return json.loads(host.file(REPORT).content_string)


def test_nbody_report_holds_gpu_and_gflops(report):
    assert report["passed"] is True
    gpu = report["gpu"]
    assert gpu["ok"] is True
    assert gpu["mode"] == "gpu"
    assert gpu["gpu_name"], "no GPU name parsed from the N-body output"
    assert isinstance(gpu["gflops"], (int, float))
    assert gpu["gflops"] > 0
    assert report["rc"] == 0
