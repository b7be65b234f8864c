"""wsl.cuda.smoke_test (and plugins/module_utils/nbody.py's run_smoke and judge): run, judge, report, in one call.

Docker and podman are fakes (the seam is AnsibleModule.run_command); the N-body outputs are real ones
(../shared/nbody-output), and the report is written to a temporary directory.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import image_runs, nbody
from ansible_collections.wsl.cuda.plugins.modules import smoke_test as module

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SAMPLES = os.path.join(os.path.dirname(REPO), "shared", "nbody-output")
IMAGE = "nvcr.io/nvidia/k8s/cuda-sample:nbody"
ID = "sha256:" + "1" * 64
SAMPLE = [IMAGE, "nbody", "-gpu", "-benchmark"]
GPU = ["docker", "run", "--rm", "--gpus", "all"] + SAMPLE
CPU = ["docker", "run", "--rm", "--gpus", "all", IMAGE, "nbody", "-benchmark", "-cpu"]
CDI_DOCKER = ["docker", "run", "--rm", "--device", "nvidia.com/gpu=all"] + SAMPLE
CDI_PODMAN = ["podman", "run", "--rm", "--network=none", "--device", "nvidia.com/gpu=all"] + SAMPLE
NVML = ["docker", "run", "--rm", "--device", "nvidia.com/gpu=all", "--entrypoint", "nvidia-smi", IMAGE, "-L"]
PATHS = [
    {"name": "cdi_docker", "argv": CDI_DOCKER},
    {"name": "cdi_podman", "argv": CDI_PODMAN, "engine": "podman"},
    {"name": "nvml", "argv": NVML, "kind": "nvml", "alongside": True},
]
PODMAN_VERSION = ["podman", "--version"]
PODMAN_INSPECT = ["podman", "image", "inspect", "--format", "{{ .Id }}", IMAGE]
SMI = "GPU 0: NVIDIA GeForce RTX 2060 (UUID: GPU-6f3c1a2e-0000-0000-0000-000000000000)\n"
CAUSES = [
    {"match": "only 0 Devices available", "cause": "The container sees no CUDA device.", "remedy": "Update the driver."},
    {"match": "Failed to initialize NVML", "cause": "NVML cannot reach the GPU.", "remedy": "Refresh the CDI spec."},
]


def _sample(name):
    with open(os.path.join(SAMPLES, name), encoding="utf-8") as handle:
        return handle.read()


class Engines:
    """Fake docker and podman: the image in Docker's store (ID), podman's own store, and each run's answer."""

    def __init__(self, present=True, podman=True, podman_id="", results=None):
        self.present, self.podman, self.podman_id = present, podman, podman_id
        self.results, self.calls = results or {}, []

    def __call__(self, argv):
        argv = list(argv)
        self.calls.append(argv)
        if argv[:3] == ["docker", "image", "inspect"]:
            return (0, ID + "\n", "") if self.present else (1, "[]\n", "Error: No such image: %s\n" % IMAGE)
        if argv[0] == "podman" and not self.podman:
            return 127, "", "podman: command not found"
        if argv == PODMAN_VERSION:
            return 0, "podman version 5.4.2\n", ""
        if argv == PODMAN_INSPECT:
            return (0, self.podman_id + "\n", "") if self.podman_id else (125, "", "Error: image not known\n")
        if argv[0] == "/bin/bash":
            self.podman_id = ID[len("sha256:"):]
            return 0, "Loaded image: %s\n" % IMAGE, ""
        if tuple(argv) in self.results:
            return self.results[tuple(argv)]
        if argv[-1] == "-L":
            return 0, SMI, ""
        if argv[-1] == "-cpu":
            return 0, "> Simulation with CPU\n4096 bodies, total time for 10 iterations: 3000.0 ms\n" \
                      "= 0.056 billion interactions per second\n= 1.118 single-precision GFLOP/s at 20 flops per interaction\n", ""
        return 0, _sample("turing-rtx2060.txt"), ""


@pytest.fixture
def smoke(run_module, monkeypatch, tmp_path):
    """smoke(engines, fails=False, **args): the module's result with the test's defaults, and the engines' calls."""
    def run(engines, fails=False, **args):
        monkeypatch.setattr(module.AnsibleModule, "run_command", lambda self, argv, check_rc=False: engines(argv))
        monkeypatch.setattr(module.AnsibleModule, "get_bin_path", lambda self, name, *rest, **kw: "/usr/bin/" + name)
        params = {"image": IMAGE, "gpu": GPU, "paths": PATHS, "min_gflops": 100, "causes": CAUSES,
                  "report": str(tmp_path / "var/lib/wsl-cuda/nbody-report.json"), "host": "laptop"}
        params.update(args)
        return run_module(module.main, params, fails)
    return run


def _report(tmp_path):
    with open(tmp_path / "var/lib/wsl-cuda/nbody-report.json", encoding="utf-8") as handle:
        return json.load(handle)


def test_every_path_runs_is_judged_and_the_report_is_written(smoke, tmp_path):
    engines = Engines()
    out = smoke(engines)
    assert out["changed"] is False and out["ran"] is True and out["passed"] is True and out["failure"] == ""
    # Docker's runs in order (NVML alongside), then podman's, after the image was copied into its store.
    assert engines.calls[0] == image_runs.inspect_argv("docker", IMAGE)
    assert sorted(engines.calls[1:4]) == sorted([GPU, CDI_DOCKER, NVML])
    assert engines.calls.index(GPU) < engines.calls.index(CDI_DOCKER)
    assert engines.calls[4:7] == [PODMAN_VERSION, PODMAN_INSPECT,
                                  ["/bin/bash", "-c", 'set -o pipefail && docker save "$1" | podman load --quiet',
                                   "copy", IMAGE]]
    assert engines.calls[7:] == [CDI_PODMAN]
    report = _report(tmp_path)
    assert report == out["report"] and out["report_written"] is True
    assert report["schema"] == 1 and report["host"] == "laptop" and report["passed"] is True
    assert report["image"] == IMAGE and report["command"] == GPU and report["rc"] == 0 and report["min_gflops"] == 100.0
    assert report["gpu"]["gpu_name"] == "NVIDIA GeForce RTX 2060" and report["gpu"]["gflops"] == 2705.976
    # The file's keys are sorted (as to_nice_json sorts them); the paths keep their order in the result.
    assert list(out["report"]["paths"]) == ["gpus", "cdi_docker", "cdi_podman", "nvml"] and report["all_passed"] is True
    assert report["paths"]["nvml"]["gpus"][0]["name"] == "NVIDIA GeForce RTX 2060"
    assert report["cpu"] is None and report["gpu_cpu_ratio"] is None and report["cause"] is None
    assert report["timestamp"].endswith("Z") and len(report["timestamp"]) == len("2026-12-04T05:00:00Z")
    assert out["summary"] == (
        "N-body smoke test passed on NVIDIA GeForce RTX 2060 (compute 7.5): 2705.976 single-precision GFLOP/s, "
        "135.299 billion interactions/s (30720 bodies, 10 iterations in 69.751 ms; floor 100.0). "
        "Paths: gpus, cdi_docker, cdi_podman, nvml passed. Report: %s" % (tmp_path / "var/lib/wsl-cuda/nbody-report.json"))
    # The directories it created are 0755, the report 0644.
    assert oct(os.stat(tmp_path / "var/lib/wsl-cuda").st_mode & 0o777) == "0o755"
    assert oct(os.stat(tmp_path / "var/lib/wsl-cuda/nbody-report.json").st_mode & 0o777) == "0o644"


def test_podman_with_the_same_image_gets_no_copy(smoke):
    engines = Engines(podman_id=ID[len("sha256:"):])
    out = smoke(engines)
    assert out["passed"] is True and not any(call[0] == "/bin/bash" for call in engines.calls)
    assert engines.calls[-1] == CDI_PODMAN


def test_without_podman_its_path_does_not_run_and_is_not_reported(smoke, tmp_path):
    engines = Engines(podman=False)
    out = smoke(engines)
    assert out["passed"] is True and "cdi_podman" not in out["runs"]
    assert sorted(_report(tmp_path)["paths"]) == ["cdi_docker", "gpus", "nvml"]
    assert PODMAN_INSPECT not in engines.calls and CDI_PODMAN not in engines.calls


def test_check_mode_runs_the_containers_but_copies_and_writes_nothing(smoke, tmp_path):
    engines = Engines()
    out = smoke(engines, _ansible_check_mode=True)
    assert out["passed"] is True and out["changed"] is False
    assert CDI_PODMAN in engines.calls and not any(call[0] == "/bin/bash" for call in engines.calls)
    assert not (tmp_path / "var").exists()
    assert out["report_written"] is True, "in check mode it says that it would write the report"
    assert out["summary"].endswith("Paths: gpus, cdi_docker, cdi_podman, nvml passed. (check mode: no report written)")


def test_a_gpu_run_that_failed_is_reported_with_its_cause(smoke, tmp_path):
    text = _sample("error-no-devices.txt")
    engines = Engines(results={tuple(GPU): (1, text, "")})
    out = smoke(engines, paths=[])
    assert out["passed"] is False and out["summary"]
    report = _report(tmp_path)
    assert report["passed"] is False and report["rc"] == 1
    assert report["cause"] == "The container sees no CUDA device." and report["remedy"] == "Update the driver."
    lines = out["failure"].splitlines()
    assert lines[0] == "The N-body smoke test failed: docker run exited 1 (Error: only 0 Devices available, 1 requested.  Exiting.)."
    assert lines[1:3] == ["Likely cause: The container sees no CUDA device.", "What to do: Update the driver."]
    assert lines[3] == "Command: " + " ".join(GPU) and lines[4] == "Output (end):"
    assert lines[-1] == "Report: %s" % (tmp_path / "var/lib/wsl-cuda/nbody-report.json")
    assert "\n".join(lines[5:-1]) == text.strip()[-600:]


def test_a_slow_gpu_says_so(smoke):
    out = smoke(Engines(), paths=[], min_gflops=5000)
    assert out["passed"] is False
    lines = out["failure"].splitlines()
    assert lines[0] == "The N-body smoke test failed: 2705.976 GFLOP/s is below nbody_smoke_min_gflops=5000.0."
    assert lines[1] == nbody.SLOW


def test_another_path_that_failed_is_named_with_its_cause(smoke, tmp_path):
    engines = Engines(results={tuple(NVML): (9, "", "Failed to initialize NVML: Unknown Error\n")})
    out = smoke(engines)
    assert out["passed"] is False and out["report"]["passed"] is True and out["report"]["all_passed"] is False
    assert out["failure"] == (
        "The smoke test failed on nvml:\n"
        "- nvml: exited 9: Failed to initialize NVML: Unknown Error Likely cause: NVML cannot reach the GPU. "
        "What to do: Refresh the CDI spec.\n"
        "  Command: %s\n"
        "Report: %s" % (" ".join(NVML), tmp_path / "var/lib/wsl-cuda/nbody-report.json"))


def test_the_cpu_run_gives_the_ratio(smoke):
    out = smoke(Engines(), paths=[], cpu=CPU)
    assert out["report"]["cpu"]["mode"] == "cpu" and out["report"]["gpu_cpu_ratio"] == 2420.4
    assert "CPU: 1.118 GFLOP/s, the GPU is 2420.4x faster. " in out["summary"]
    assert "cpu" not in out["report"]["paths"]


@pytest.mark.parametrize("args", [{"gpu": []}, {"digest": "sha256:" + "3" * 64}])
def test_only_the_image_is_looked_for_without_a_gpu_run_or_with_another_image(smoke, tmp_path, args):
    engines = Engines()
    out = smoke(engines, **args)
    assert engines.calls == [image_runs.inspect_argv("docker", IMAGE)]
    assert out["ran"] is False and out["runs"] == {} and out["report"] == {} and out["passed"] is False
    assert out["present"] is True and out["digest_matches"] is ("digest" not in args)
    assert not (tmp_path / "var").exists()


def test_a_missing_image_runs_nothing_and_says_what_docker_said(smoke, tmp_path):
    out = smoke(Engines(present=False))
    assert out["present"] is False and out["ran"] is False and out["inspect_error"] == "Error: No such image: %s" % IMAGE
    assert not (tmp_path / "var").exists()


def test_two_paths_of_one_name_are_refused(smoke):
    engines = Engines()
    out = smoke(engines, paths=[PATHS[0], dict(PATHS[2], name="cpu")], fails=True)
    assert out["msg"] == "Every path needs its own name, and gpus and cpu are taken: got cdi_docker, cpu."
    assert engines.calls == []


def test_a_report_that_cannot_be_written_fails_with_the_verdict(smoke, tmp_path):
    (tmp_path / "blocker").write_text("a file where a directory should be")
    out = smoke(Engines(), report=str(tmp_path / "blocker/report.json"), fails=True)
    assert out["msg"].startswith("%s could not be written: " % (tmp_path / "blocker/report.json"))
    assert out["passed"] is True and out["report"]["passed"] is True
