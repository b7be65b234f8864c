"""Unit tests of the wsl.cuda.nbody_results filter on real outputs of the CUDA N-body sample."""

from __future__ import annotations

import os

import pytest

from ansible_collections.wsl.cuda.plugins.filter.nbody import FilterModule, parse_nbody

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SAMPLES = os.path.join(os.path.dirname(REPO), "shared", "nbody-output")


def _sample_files():
    # CI always has ../shared beside the checkout: a missing directory is an error, not a skip.
    if not os.path.isdir(SAMPLES):
        return ["<missing %s>" % SAMPLES]
    return sorted(name for name in os.listdir(SAMPLES) if name.endswith(".txt"))


def _read(name):
    assert os.path.isdir(SAMPLES), "N-body output samples not found at %s" % SAMPLES
    with open(os.path.join(SAMPLES, name), encoding="utf-8") as handle:
        return handle.read()


# What each real sample must parse to; a new file in ../shared/nbody-output needs an entry here.
EXPECTED = {
    "turing-rtx2060.txt": {
        "ok": True,
        "gpu_name": "NVIDIA GeForce RTX 2060",
        "compute_capability": "7.5",
        "device_arch": "Turing",
        "bodies": 30720,
        "iterations": 10,
        "total_time_ms": 69.751,
        "interactions_per_second": 135.299,
        "gflops": 2705.976,
        "precision": "single",
        "flops_per_interaction": 20,
        "mode": "gpu",
        "warnings": [],
        "error": None,
    },
    "ampere-a2000-laptop.txt": {
        "ok": True,
        "gpu_name": "NVIDIA RTX A2000 Laptop GPU",
        "compute_capability": "8.6",
        "device_arch": "Ampere",
        "bodies": 20480,
        "iterations": 10,
        "total_time_ms": 21.712,
        "interactions_per_second": 193.18,
        "gflops": 3863.604,
        "precision": "single",
        "flops_per_interaction": 20,
        "mode": "gpu",
        "warnings": [],
        "error": None,
    },
    "ada-rtx4080-laptop-unknown-sm.txt": {
        "ok": True,
        "gpu_name": "NVIDIA GeForce RTX 4080 Laptop GPU",
        "compute_capability": "8.9",
        "device_arch": "Ampere",
        "bodies": 1000192,
        "iterations": 10,
        "total_time_ms": 14086.918,
        "interactions_per_second": 710.151,
        "gflops": 14203.022,
        "precision": "single",
        "flops_per_interaction": 20,
        "mode": "gpu",
        "warnings": [
            "MapSMtoCores for SM 8.9 is undefined.  Default to use 128 Cores/SM",
            "MapSMtoArchName for SM 8.9 is undefined.  Default to use Ampere",
            'Warning: "number of bodies" specified 1000000 is not a multiple of 256.',
            "Rounding up to the nearest multiple: 1000192.",
        ],
        "error": None,
    },
    "error-no-devices.txt": {
        "ok": False,
        "gpu_name": None,
        "compute_capability": None,
        "device_arch": None,
        "bodies": None,
        "iterations": None,
        "total_time_ms": None,
        "interactions_per_second": None,
        "gflops": None,
        "precision": None,
        "flops_per_interaction": None,
        "mode": None,
        "warnings": [],
        "error": "Error: only 0 Devices available, 1 requested.  Exiting.",
    },
}

FP64 = """\
Run "nbody -benchmark [-numbodies=<numBodies>]" to measure performance.
\t-fp64             (use double precision floating point values for simulation)
\t-cpu              (run n-body simulation on the CPU)

NOTE: The CUDA Samples are not meant for performance measurements. Results may vary when GPU Boost is enabled.

> Windowed mode
> Simulation data stored in video memory
> Double precision floating point simulation
> 1 Devices used for simulation
GPU Device 0: "Turing" with compute capability 7.5

> Compute 7.5 CUDA device: [NVIDIA GeForce RTX 2060]
30720 bodies, total time for 10 iterations: 2164.334 ms
= 4.360 billion interactions per second
= 130.807 double-precision GFLOP/s at 30 flops per interaction
"""

CPU = """\
Run "nbody -benchmark [-numbodies=<numBodies>]" to measure performance.
\t-cpu              (run n-body simulation on the CPU)

NOTE: The CUDA Samples are not meant for performance measurements. Results may vary when GPU Boost is enabled.

> Windowed mode
> Simulation data stored in system memory
> Single precision floating point simulation
> 1 Devices used for simulation
> Simulation with CPU
4096 bodies, total time for 10 iterations: 3226.781 ms
= 0.052 billion interactions per second
= 1.040 single-precision GFLOP/s at 20 flops per interaction
"""


@pytest.mark.parametrize("name", _sample_files())
def test_real_sample_is_known_and_parses(name):
    text = _read(name)
    assert name in EXPECTED, "new sample %s: add its expected result to EXPECTED" % name
    assert parse_nbody(text) == EXPECTED[name]


def test_every_expected_sample_is_present():
    assert os.path.isdir(SAMPLES), "N-body output samples not found at %s" % SAMPLES
    assert set(EXPECTED) <= set(_sample_files())


def test_fp64():
    result = parse_nbody(FP64)
    assert result["ok"] is True
    assert result["precision"] == "double"
    assert result["flops_per_interaction"] == 30
    assert result["gflops"] == pytest.approx(130.807)
    assert result["interactions_per_second"] == pytest.approx(4.36)
    assert result["mode"] == "gpu"


def test_cpu():
    result = parse_nbody(CPU)
    assert result["ok"] is True
    assert result["mode"] == "cpu"
    assert result["gpu_name"] is None
    assert result["bodies"] == 4096
    assert result["gflops"] == pytest.approx(1.04)


def test_results_only_without_header_is_gpu():
    tail = "\n".join(CPU.splitlines()[-3:])
    result = parse_nbody(tail)
    assert result["ok"] is True
    assert result["mode"] == "gpu"
    assert result["precision"] == "single"


@pytest.mark.parametrize("text", ["", None, "docker: Error response from daemon: could not select device driver"])
def test_no_result_is_not_ok(text):
    result = parse_nbody(text)
    assert result["ok"] is False
    assert result["error"]


def test_crlf_and_list_input():
    text = _read("turing-rtx2060.txt")
    assert parse_nbody(text.replace("\n", "\r\n")) == EXPECTED["turing-rtx2060.txt"]
    assert parse_nbody(text.splitlines()) == EXPECTED["turing-rtx2060.txt"]


def test_filter_is_registered():
    assert FilterModule().filters()["nbody_results"] is parse_nbody
