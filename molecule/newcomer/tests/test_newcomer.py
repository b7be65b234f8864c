"""Debian's own ansible-core ran site.yml from the checkout: the GPU container works."""

import json


def test_ansible_core_is_debians(host):
    version = host.package("ansible-core").version
    assert version.startswith("2.14."), version


def test_dockerd_answers_with_the_nvidia_runtime(host):
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert "nvidia" in info["Runtimes"]


def test_gpu_container_runs(host):
    out = host.check_output(
        "docker run --rm --gpus all nvcr.io/nvidia/k8s/cuda-sample:nbody nbody -gpu -benchmark"
    )
    assert "single-precision GFLOP/s" in out


def test_report_written(host):
    report = json.loads(host.file("/var/lib/wsl-cuda/nbody-report.json").content_string)
    assert report["passed"] is True
    assert report["gpu"]["gflops"] > 0
