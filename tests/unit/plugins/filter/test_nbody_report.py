"""wsl.cuda.nbody_report and wsl.cuda.nbody_failure: the smoke test's report and the reason a GPU run failed."""

from __future__ import annotations

import pytest

from ansible_collections.wsl.cuda.plugins.filter.nbody_report import FilterModule, nbody_failure, nbody_report

GPU = {"ok": True, "mode": "gpu", "gflops": 2705.976, "error": None, "gpu_name": "NVIDIA GeForce RTX 2060"}
CPU = {"ok": True, "mode": "cpu", "gflops": 12.5, "error": None}
PATHS = {"gpus": {"passed": True}, "nvml": {"passed": True}}
ARGV = ["docker", "run", "--rm", "--gpus", "all", "img", "nbody", "-gpu", "-benchmark"]


def _report(**kwargs):
    args = dict(run={"rc": 0}, passed=True, cause={}, cpu=None, paths=PATHS, min_gflops=100,
                timestamp="2026-12-02T04:00:00Z", host="laptop", image="img", command=ARGV)
    args.update(kwargs)
    return nbody_report(GPU, **args)


def test_report_of_a_pass():
    assert _report() == {
        "schema": 1, "timestamp": "2026-12-02T04:00:00Z", "host": "laptop", "passed": True, "cause": None,
        "remedy": None, "image": "img", "command": ARGV, "min_gflops": 100.0, "rc": 0, "gpu": GPU, "cpu": None,
        "gpu_cpu_ratio": None, "paths": PATHS, "all_passed": True,
    }


def test_types_are_kept():
    report = _report(run={"rc": "0"}, min_gflops="0.1")
    assert report["rc"] == 0 and isinstance(report["rc"], int)
    assert report["min_gflops"] == 0.1 and isinstance(report["min_gflops"], float)
    assert report["passed"] is True and report["cause"] is None


def test_ratio_with_the_cpu_measured():
    assert _report(cpu=CPU)["gpu_cpu_ratio"] == 216.5
    assert _report(cpu=CPU)["cpu"] == CPU


@pytest.mark.parametrize("cpu", [dict(CPU, ok=False), dict(CPU, gflops=0), dict(CPU, gflops="n/a")])
def test_no_ratio_without_a_cpu_result(cpu):
    assert _report(cpu=cpu)["gpu_cpu_ratio"] is None


def test_no_ratio_when_the_gpu_gave_no_result():
    assert nbody_report(dict(GPU, ok=False), {"rc": 0}, False, cpu=CPU)["gpu_cpu_ratio"] is None


def test_failure_carries_the_cause():
    report = _report(passed=False, cause={"match": "x", "cause": "no device", "remedy": "update the driver"},
                     run={"rc": 1})
    assert (report["passed"], report["cause"], report["remedy"], report["rc"]) == (False, "no device", "update the driver", 1)
    # A pass names no cause even when a known message matched.
    assert _report(cause={"cause": "c", "remedy": "r"})["cause"] is None


def test_all_passed_needs_every_path():
    assert _report(paths={"gpus": {"passed": True}, "cdi_docker": {"passed": False}})["all_passed"] is False
    assert _report(paths={})["all_passed"] is True


@pytest.mark.parametrize(
    "gpu, rc, expected",
    [
        (dict(GPU, ok=False, error="no benchmark result in the output"), 125, "docker run exited 125"),
        (dict(GPU, ok=False, error="CUDA error 100"), 1, "docker run exited 1 (CUDA error 100)"),
        (dict(GPU, ok=False, error="no benchmark result in the output"), 0, "no benchmark result in the output"),
        (dict(GPU, mode="cpu"), 0, "it ran on the CPU"),
        (dict(GPU, gflops=4.2), 0, "4.2 GFLOP/s is below nbody_smoke_min_gflops=100"),
    ],
)
def test_failure_reason(gpu, rc, expected):
    assert nbody_failure(gpu, {"rc": rc}, 100) == expected


def test_filters_registered():
    assert set(FilterModule().filters()) == {"nbody_report", "nbody_failure"}
