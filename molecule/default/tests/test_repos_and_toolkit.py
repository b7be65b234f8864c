"""Docker's and NVIDIA's repositories trusted through their own keyrings, the toolkit installed at one
version, and the `nvidia` runtime registered with Docker without losing the user's daemon.json keys."""

from __future__ import annotations

import json
import os
import re
import sys

import pytest

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
)
sys.path.insert(0, os.path.join(REPO, ".collections"))

from ansible_collections.wsl.cuda.plugins.filter.openpgp import openpgp_fingerprints  # noqa: E402

FINGERPRINTS = os.path.join(REPO, ".cache", "testbed", "repos")
DOCKER_URL = "file:///srv/mirror/download.docker.com/linux/debian"
NVIDIA_URL = "file:///srv/mirror/nvidia.github.io/libnvidia-container"
TOOLKIT = ["nvidia-container-toolkit", "nvidia-container-toolkit-base", "libnvidia-container-tools", "libnvidia-container1"]


def _fingerprint(name):
    with open(os.path.join(FINGERPRINTS, name + ".fingerprint"), encoding="ascii") as handle:
        return handle.read().strip().replace(" ", "").upper()


def _var(host, name, default):
    """A scenario's setting from the inventory (plain values only), else the role default."""
    value = host.ansible.get_variables().get(name, default)
    return default if isinstance(value, str) and "{{" in value else value


@pytest.mark.parametrize(
    "path, key",
    [("/etc/apt/keyrings/docker.asc", "docker"), ("/etc/apt/keyrings/nvidia-container-toolkit.asc", "nvidia")],
)
def test_keyring_holds_the_pinned_key(host, path, key):
    keyring = host.file(path)
    assert keyring.is_file
    assert keyring.user == "root"
    assert keyring.mode == 0o644
    content = keyring.content_string
    assert content.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert openpgp_fingerprints(content) == [_fingerprint(key)]


def _deb_lines(host, path):
    return [line for line in host.file(path).content_string.splitlines() if line.strip() and not line.startswith("#")]


def test_docker_source_signed_by_its_keyring(host):
    codename = host.system_info.codename
    assert _deb_lines(host, "/etc/apt/sources.list.d/docker.list") == [
        "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] %s %s stable" % (DOCKER_URL, codename)
    ]
    assert host.file("/etc/apt/sources.list.d/docker.list").mode == 0o644


def test_nvidia_source_signed_by_its_keyring(host):
    channels = _var(host, "nvidia_repo_channels", ["stable"])
    assert _deb_lines(host, "/etc/apt/sources.list.d/nvidia-container-toolkit.list") == [
        "deb [signed-by=/etc/apt/keyrings/nvidia-container-toolkit.asc] %s/%s/deb/$(ARCH) /" % (NVIDIA_URL, channel)
        for channel in channels
    ]


def test_experimental_channel_only_when_enabled(host):
    channels = _var(host, "nvidia_repo_channels", ["stable"])
    listing = host.run("grep -rl experimental /etc/apt/sources.list /etc/apt/sources.list.d/ || true").stdout.split()
    if "experimental" in channels:
        assert listing == ["/etc/apt/sources.list.d/nvidia-container-toolkit.list"]
    else:
        assert listing == []


@pytest.mark.parametrize(
    "path",
    [
        "/etc/apt/sources.list.d/nvidia-docker.list",
        "/etc/apt/sources.list.d/libnvidia-container-experimental.list",
        "/etc/apt/sources.list.d/libnvidia-container.list",
        "/etc/apt/sources.list.d/nvidia-container-runtime.list",
    ],
)
def test_2020_lists_migrated(host, path):
    assert not host.file(path).exists


def test_no_key_in_apt_keys_global_keyring(host):
    ours = {_fingerprint("docker"), _fingerprint("nvidia"), "C95B321B61E88C1809C4F759DDCAE044F796ECB0",
            "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"}
    trusted = host.file("/etc/apt/trusted.gpg")
    if trusted.exists:
        assert not ours & set(openpgp_fingerprints(trusted.content))
    for name in host.file("/etc/apt/trusted.gpg.d").listdir() if host.file("/etc/apt/trusted.gpg.d").exists else []:
        assert "docker" not in name.lower() and "nvidia" not in name.lower(), name
        fragment = host.file("/etc/apt/trusted.gpg.d/" + name)
        if name.endswith((".gpg", ".asc")) and fragment.size:
            assert not ours & set(openpgp_fingerprints(fragment.content)), name


def test_apt_trusts_our_repositories_through_signed_by_only(host):
    # apt-get update against our two lists alone succeeds: the signatures verify with the keyrings named.
    for source in ("docker.list", "nvidia-container-toolkit.list"):
        result = host.run(
            "apt-get update -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/%s -o Dir::Etc::sourceparts=- "
            "-o APT::Get::List-Cleanup=0" % source
        )
        assert result.rc == 0, result.stderr
        assert "NO_PUBKEY" not in result.stderr and "not signed" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    "package", ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"]
)
def test_docker_packages(host, package):
    assert host.package(package).is_installed


def test_docker_new_enough_for_gpus(host):
    version = host.package("docker-ce").version
    upstream = re.match(r"^(?:\d+:)?(\d+)\.(\d+)", version)
    assert upstream, version
    assert (int(upstream.group(1)), int(upstream.group(2))) >= (19, 3), version
    pinned = _var(host, "docker_engine_version", "")
    if pinned:
        assert pinned in version


def test_no_distro_docker(host):
    assert not host.package("docker.io").is_installed


def test_toolkit_packages_at_one_version(host):
    versions = {name: host.package(name).version for name in TOOLKIT if host.package(name).is_installed}
    assert sorted(versions) == sorted(TOOLKIT), versions
    assert len(set(versions.values())) == 1, versions
    pinned = _var(host, "nvidia_container_toolkit_version", "")
    if pinned:
        assert list(versions.values())[0] in (pinned, pinned + "-1") or list(versions.values())[0].startswith(pinned)


def test_nvidia_docker2_only_when_asked(host):
    assert host.package("nvidia-docker2").is_installed == bool(
        _var(host, "nvidia_container_toolkit_nvidia_docker2", False)
    )


def _daemon_json(host):
    return json.loads(host.file("/etc/docker/daemon.json").content_string)


def test_daemon_json_registers_nvidia_runtime(host):
    config = _daemon_json(host)
    assert config["runtimes"]["nvidia"] == {"path": "nvidia-container-runtime", "args": []}
    if _var(host, "nvidia_container_toolkit_default_runtime", False):
        assert config["default-runtime"] == "nvidia"
    else:
        assert config.get("default-runtime") != "nvidia"


def test_daemon_json_keeps_the_users_keys(host):
    if not _var(host, "testbed_user_config", False):
        pytest.skip("this scenario has no daemon.json of the user's")
    config = _daemon_json(host)
    assert config["log-driver"] == "json-file"
    assert config["log-opts"] == {"max-size": "10m"}
    assert config["registry-mirrors"] == ["https://mirror.example.invalid"]


def test_docker_info_lists_nvidia_runtime(host):
    result = host.run("docker info --format '{{json .Runtimes}}'")
    assert result.rc == 0, result.stderr
    assert "nvidia" in json.loads(result.stdout)
    if _var(host, "nvidia_container_toolkit_default_runtime", False):
        assert host.run("docker info --format '{{.DefaultRuntime}}'").stdout.strip() == "nvidia"
