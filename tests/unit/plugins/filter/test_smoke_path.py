"""wsl.cuda.smoke_path: one path of the smoke test → its report entry."""

from __future__ import annotations

import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wsl.cuda.plugins.filter.smoke_path import FilterModule, nvidia_smi_gpus, smoke_path

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))), os.pardir, "shared", "nbody-output")
CAUSES = [
    {"match": "unresolvable CDI devices", "cause": "no CDI spec", "remedy": "refresh it"},
    {"match": "only 0 Devices available", "cause": "no device", "remedy": "check the driver"},
]
SMI = ("GPU 0: NVIDIA GeForce RTX 3070 Laptop GPU (UUID: GPU-3f0c2a8e-5b7d-4c1e-9a6f-0d2b8e4c7a10)\n"
       "GPU 1: NVIDIA RTX A2000 (UUID: GPU-00000000-0000-0000-0000-000000000001)\n")


def _sample():
    with open(os.path.join(SAMPLES, "turing-rtx2060.txt"), encoding="utf-8") as handle:
        return handle.read()


def run(rc=0, stdout="", stderr="", cmd=None):
    return {"rc": rc, "stdout": stdout, "stderr": stderr, "cmd": cmd or ["docker", "run", "--rm", "--device", "nvidia.com/gpu=all", "img"]}


def test_nbody_path_passes():
    out = smoke_path(run(stdout=_sample()), kind="nbody", min_gflops=100, causes=CAUSES)
    assert out["passed"] is True
    assert (out["gpu_name"], out["gflops"], out["rc"]) == ("NVIDIA GeForce RTX 2060", 2705.976, 0)
    assert out["error"] is None and out["cause"] is None
    assert out["command"][3:5] == ["--device", "nvidia.com/gpu=all"]


def test_nbody_path_below_the_floor():
    out = smoke_path(run(stdout=_sample()), kind="nbody", min_gflops=5000)
    assert out["passed"] is False
    assert out["error"] == "2705.976 GFLOP/s is below the floor of 5000"


def test_cdi_device_unknown_to_docker():
    stderr = ("docker: Error response from daemon: could not select device driver \"cdi\" with capabilities: []: "
              "failed to inject devices: unresolvable CDI devices nvidia.com/gpu=all\n")
    out = smoke_path(run(rc=125, stderr=stderr), kind="nbody", causes=CAUSES)
    assert out["passed"] is False
    assert out["error"].startswith("exited 125: docker: Error response from daemon")
    assert (out["cause"], out["remedy"]) == ("no CDI spec", "refresh it")


def test_nothing_injected():
    out = smoke_path(run(rc=1, stdout="Error: only 0 Devices available, 1 requested.  Exiting.\n"), kind="nbody", causes=CAUSES)
    assert out["passed"] is False
    assert out["error"] == "exited 1: Error: only 0 Devices available, 1 requested.  Exiting."
    assert out["cause"] == "no device"


def test_nvml_path():
    out = smoke_path(run(stdout=SMI, cmd="docker run --rm --device nvidia.com/gpu=all img nvidia-smi -L"), kind="nvml")
    assert out["passed"] is True
    assert out["gpu_name"] == "NVIDIA GeForce RTX 3070 Laptop GPU"
    assert [g["index"] for g in out["gpus"]] == [0, 1]
    assert out["gpus"][1]["uuid"] == "GPU-00000000-0000-0000-0000-000000000001"
    assert out["command"][-2:] == ["nvidia-smi", "-L"]


@pytest.mark.parametrize("result,error", [
    (run(rc=127, stderr="docker: Error response from daemon: failed to create task: exec: \"nvidia-smi\": executable file not found in $PATH\n"),
     "exited 127: docker: Error response from daemon: failed to create task: exec: \"nvidia-smi\": executable file not found in $PATH"),
    (run(rc=0, stdout="No devices were found\n"), "nvidia-smi -L listed no GPU: No devices were found"),
    (run(rc=255, stdout="Failed to initialize NVML: Unknown Error\n"), "exited 255: Failed to initialize NVML: Unknown Error"),
])
def test_nvml_path_fails(result, error):
    out = smoke_path(result, kind="nvml")
    assert out["passed"] is False
    assert out["error"] == error


def test_skipped_run():
    out = smoke_path({"skipped": True, "skip_reason": "Conditional result was False"})
    assert out["passed"] is False and out["error"] == "not run: Conditional result was False"


def test_bad_input():
    with pytest.raises(AnsibleFilterError):
        smoke_path("text")
    with pytest.raises(AnsibleFilterError):
        smoke_path(run(), kind="other")


def test_nvidia_smi_gpus_ignores_other_lines():
    assert nvidia_smi_gpus("Warning: x\n" + SMI.splitlines()[0] + "\n\n") == [
        {"index": 0, "name": "NVIDIA GeForce RTX 3070 Laptop GPU", "uuid": "GPU-3f0c2a8e-5b7d-4c1e-9a6f-0d2b8e4c7a10"}]


def test_registered():
    assert FilterModule().filters()["smoke_path"] is smoke_path
