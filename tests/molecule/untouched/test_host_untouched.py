"""Shared verifier of the scenarios that must leave the host as it was (a refusal, `--check`)."""

import pytest


@pytest.mark.parametrize(
    "package",
    ["docker-ce", "docker-ce-cli", "containerd.io", "docker.io", "nvidia-container-toolkit"],
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
        "/usr/local/sbin/wsl-cuda-dockerd",
        "/var/lib/wsl-cuda",
    ],
)
def test_nothing_written(host, path):
    assert not host.file(path).exists
