"""After every interruption: dpkg complete, Docker Engine installed and answering, the GPU path working."""

import json


def test_dpkg_is_complete(host):
    assert host.run("dpkg --audit").stdout.strip() == ""
    assert [n for n in host.file("/var/lib/dpkg/updates").listdir() if n.isdigit()] == []
    result = host.run("apt-get check")
    assert result.rc == 0, result.stderr


def test_the_interrupted_packages_are_installed(host):
    for name in ("docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"):
        out = host.run("dpkg-query --showformat '${db:Status-Abbrev}' --show %s" % name)
        assert out.stdout.strip() == "ii", (name, out.stdout, out.stderr)


def test_the_broken_package_is_gone(host):
    assert not host.package("wsl-cuda-broken-postinst").is_installed


def test_docker_runs_gpu_containers(host):
    result = host.run("docker info --format '{{json .Runtimes}}'")
    assert result.rc == 0, result.stderr
    assert "nvidia" in json.loads(result.stdout)
    report = json.loads(host.file("/var/lib/wsl-cuda/nbody-report.json").content_string)
    assert report["passed"] is True
