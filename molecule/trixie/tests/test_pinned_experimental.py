"""Debian 13 with the experimental channel, a pinned toolkit and nvidia as the default runtime."""

import json

import pytest


def test_both_channels_are_sources(host):
    sources = host.file("/etc/apt/sources.list.d/nvidia-container-toolkit.list").content_string
    assert "/stable/deb/$(ARCH) /" in sources
    assert "/experimental/deb/$(ARCH) /" in sources
    assert "signed-by=/etc/apt/keyrings/nvidia-container-toolkit.asc" in sources


@pytest.mark.parametrize(
    "package",
    [
        "nvidia-container-toolkit",
        "nvidia-container-toolkit-base",
        "libnvidia-container-tools",
        "libnvidia-container1",
    ],
)
def test_toolkit_packages_pinned_to_one_version(host, package):
    pkg = host.package(package)
    assert pkg.is_installed
    assert pkg.version == "1.17.8-1"


def test_legacy_nvidia_docker2_installed(host):
    assert host.package("nvidia-docker2").is_installed


def test_nvidia_is_the_default_runtime(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["default-runtime"] == "nvidia"
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["DefaultRuntime"] == "nvidia"
    assert "nvidia" in info["Runtimes"]


def test_wsl_conf_turns_systemd_on(host):
    assert "systemd" in host.file("/etc/wsl.conf").content_string


def test_report_holds_gpu_and_cpu_measurements(host):
    report = json.loads(host.file("/var/lib/wsl-cuda/nbody-report.json").content_string)
    assert report["passed"] is True
    assert report["gpu"]["gpu_name"] == "NVIDIA GeForce RTX 3070 Laptop GPU"
    assert report["gpu"]["gflops"] > 0
    assert report["cpu"]["mode"] == "cpu"
    assert report["gpu_cpu_ratio"] > 0
