"""wsl.cuda.image_runs (and plugins/module_utils/image_runs.py): look for an image, check its pin, run containers."""

from __future__ import annotations

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import image_runs
from ansible_collections.wsl.cuda.plugins.modules import image_runs as module

IMAGE = "nvcr.io/nvidia/k8s/cuda-sample:nbody"
ID = "sha256:" + "1" * 64
DIGEST = "sha256:" + "2" * 64
LINE = "%s nvcr.io/nvidia/k8s/cuda-sample@%s\n" % (ID, DIGEST)
GPU = ["docker", "run", "--rm", "--gpus", "all", IMAGE, "nbody", "-benchmark"]
NVML = ["docker", "run", "--rm", "--gpus", "all", "--entrypoint", "nvidia-smi", IMAGE, "-L"]
RUNS = [{"name": "gpus", "argv": GPU}, {"name": "nvml", "argv": NVML}]


class Engine:
    """A fake docker: the inspect line when the image is there, and each run's (rc, stdout, stderr)."""

    def __init__(self, present=True, results=None):
        self.present, self.results, self.calls = present, results or {}, []

    def __call__(self, argv):
        self.calls.append(list(argv))
        if argv[1:3] == ["image", "inspect"]:
            return (0, LINE, "") if self.present else (1, "[]\n", "Error: No such image: %s\n" % IMAGE)
        return self.results.get(tuple(argv), (0, "ran\n", ""))


def test_image_ids_takes_the_digest_of_each_repo_digest():
    assert image_runs.image_ids(LINE) == [ID, DIGEST]
    assert image_runs.image_ids("") == []


def test_runs_every_command_in_order_when_the_image_is_there():
    engine = Engine(results={tuple(NVML): (9, "", "Failed to initialize NVML\n")})
    out = image_runs.run_all(engine, "docker", IMAGE, "", RUNS)
    assert engine.calls == [image_runs.inspect_argv("docker", IMAGE), GPU, NVML]
    assert engine.calls[0] == ["docker", "image", "inspect", "--format",
                               "{{ .Id }}{{ range .RepoDigests }} {{ . }}{{ end }}", IMAGE]
    assert out["present"] is True and out["digest_matches"] is True and out["ids"] == [ID, DIGEST]
    assert out["runs"]["gpus"] == {"cmd": GPU, "rc": 0, "stdout": "ran", "stderr": "", "stdout_lines": ["ran"],
                                   "stderr_lines": []}
    assert out["runs"]["nvml"]["rc"] == 9 and out["runs"]["nvml"]["stderr"] == "Failed to initialize NVML"


@pytest.mark.parametrize("digest", [ID, DIGEST])
def test_a_pin_matches_the_id_or_a_repo_digest(digest):
    out = image_runs.run_all(Engine(), "docker", IMAGE, digest, RUNS)
    assert out["digest_matches"] is True and sorted(out["runs"]) == ["gpus", "nvml"]


def test_another_image_than_the_pinned_one_runs_nothing():
    engine = Engine()
    out = image_runs.run_all(engine, "docker", IMAGE, "sha256:" + "3" * 64, RUNS)
    assert out["present"] is True and out["digest_matches"] is False and out["runs"] == {}
    assert len(engine.calls) == 1


def test_a_missing_image_runs_nothing_and_says_what_the_engine_said():
    engine = Engine(present=False)
    out = image_runs.run_all(engine, "podman", IMAGE, "", RUNS)
    assert engine.calls == [image_runs.inspect_argv("podman", IMAGE)]
    assert out == {"present": False, "ids": [], "digest_matches": False,
                   "inspect_error": "Error: No such image: %s" % IMAGE, "runs": {}}


@pytest.fixture
def run_main(run_module, monkeypatch):
    engine = Engine()
    monkeypatch.setattr(module.AnsibleModule, "run_command", lambda self, argv, check_rc=False: engine(argv))
    return lambda args, fails=False: (run_module(module.main, args, fails), engine)


def test_main_never_changes_and_runs_in_check_mode(run_main):
    out, engine = run_main({"image": IMAGE, "runs": RUNS, "_ansible_check_mode": True})
    assert out["changed"] is False and out["present"] is True
    assert sorted(out["runs"]) == ["gpus", "nvml"] and engine.calls[1:] == [GPU, NVML]


def test_main_refuses_two_commands_of_one_name(run_main):
    out, engine = run_main({"image": IMAGE, "runs": [RUNS[0], dict(RUNS[1], name="gpus")]}, fails=True)
    assert out["msg"] == "Every command of runs needs its own name, got gpus, gpus."
    assert engine.calls == []


def test_main_without_the_engine_says_so_instead_of_failing(run_module, monkeypatch):
    monkeypatch.setattr(module.AnsibleModule, "get_bin_path", lambda self, name, *args, **kwargs: None)
    out = run_module(module.main, {"image": IMAGE, "runs": RUNS, "_ansible_check_mode": True})
    assert out["present"] is False and out["runs"] == {}
    assert out["inspect_error"] == "docker: command not found"


def test_a_command_alongside_runs_at_the_same_time_as_the_others():
    """nvidia-smi -L (alongside) overlaps the benchmark, which runs in turn; results keep the order of runs."""
    import threading

    started, release = threading.Event(), threading.Event()
    calls = []

    def engine(argv):
        calls.append(list(argv))
        if argv[1:3] == ["image", "inspect"]:
            return 0, LINE, ""
        if argv == NVML:
            started.set()
            # Finishes only once the benchmark has started: it would wait forever if it ran in turn after it.
            assert release.wait(5), "the benchmark did not run while nvidia-smi was running"
            return 0, "GPU 0: NVIDIA\n", ""
        assert started.wait(5), "nvidia-smi did not start first"
        release.set()
        return 0, "gflops\n", ""

    runs = [{"name": "gpus", "argv": GPU}, {"name": "cpu", "argv": GPU + ["-cpu"]}, dict(RUNS[1], alongside=True)]
    out = image_runs.run_all(engine, "docker", IMAGE, "", runs)
    assert list(out["runs"]) == ["gpus", "cpu", "nvml"]
    assert out["runs"]["nvml"]["stdout"] == "GPU 0: NVIDIA" and out["runs"]["gpus"]["stdout"] == "gflops"
    assert calls.index(GPU) < calls.index(GPU + ["-cpu"]), "the others run in order"


def test_nothing_runs_alongside_when_the_image_is_not_the_pinned_one():
    engine = Engine()
    out = image_runs.run_all(engine, "docker", IMAGE, "sha256:" + "3" * 64, [dict(RUNS[1], alongside=True)])
    assert out["runs"] == {} and engine.calls == [image_runs.inspect_argv("docker", IMAGE)]
