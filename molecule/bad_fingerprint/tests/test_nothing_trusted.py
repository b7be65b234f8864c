"""A key whose fingerprint is not the pinned one is never trusted or written."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/etc/apt/keyrings/docker.asc",
        "/etc/apt/keyrings/nvidia-container-toolkit.asc",
        "/etc/apt/sources.list.d/docker.list",
        "/etc/apt/sources.list.d/nvidia-container-toolkit.list",
    ],
)
def test_no_keyring_or_source_left(host, path):
    assert not host.file(path).exists


def test_no_key_in_global_keyrings(host):
    assert not host.file("/etc/apt/trusted.gpg").exists
    listing = host.run("ls -A /etc/apt/trusted.gpg.d")
    assert "docker" not in listing.stdout
    assert "nvidia" not in listing.stdout


@pytest.mark.parametrize("package", ["docker-ce", "nvidia-container-toolkit"])
def test_no_package_installed(host, package):
    assert not host.package(package).is_installed
