"""`--check` on a fresh distro: the play completed and the host is as it was."""

import pytest


@pytest.mark.parametrize(
    "package",
    ["docker-ce", "docker-ce-cli", "containerd.io", "nvidia-container-toolkit"],
)
def test_no_package_installed(host, package):
    assert not host.package(package).is_installed


@pytest.mark.parametrize(
    "path",
    [
        "/etc/apt/keyrings/docker.asc",
        "/etc/apt/keyrings/nvidia-container-toolkit.asc",
        "/etc/apt/sources.list.d/docker.list",
        "/etc/apt/sources.list.d/nvidia-container-toolkit.list",
        "/etc/docker/daemon.json",
        "/etc/wsl.conf",
        "/var/lib/wsl-cuda/nbody-report.json",
    ],
)
def test_nothing_written(host, path):
    assert not host.file(path).exists
