"""Docker 28 (CDI on by default) and podman give the N-body container the stand-in GPU four ways.

The toolkit is the real one (built from its source); only the GPU, /dev/dxg, the driver store
and libdxcore are stand-ins. The sample inside loads libcuda.so.1 from what was injected.
"""

import json
import os
import shlex
import sys

import pytest

IMAGE = "nvcr.io/nvidia/k8s/cuda-sample:nbody"
GPU = "NVIDIA GeForce RTX 3070 Laptop GPU"
SPEC = "/etc/cdi/nvidia.json"
DRIVERS = "/usr/lib/wsl/drivers"
STORE_FILES = (
    "libcuda.so.1.1",
    "libcuda_loader.so",
    "libnvidia-ptxjitcompiler.so.1",
    "libnvidia-ml.so.1",
    "libnvidia-ml_loader.so",
    "nvidia-smi",
    "nvcubins.bin",
)
WAYS = {
    "docker --gpus all": ["docker", "run", "--rm", "--gpus", "all"],
    "docker --runtime=nvidia": ["docker", "run", "--rm", "--runtime=nvidia"],
    "docker --device nvidia.com/gpu=all": ["docker", "run", "--rm", "--device", "nvidia.com/gpu=all"],
    "podman --device nvidia.com/gpu=all": ["podman", "run", "--rm", "--network=none", "--device", "nvidia.com/gpu=all"],
}

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(REPO, ".collections"))

# The parser the smoke test itself uses (plugins/module_utils/nbody.py).
from ansible_collections.wsl.cuda.plugins.module_utils.nbody import parse_nbody as _parse_nbody  # noqa: E402


def _run(host, argv):
    return host.run(" ".join(shlex.quote(a) for a in argv))


@pytest.fixture(name="store", scope="module")
def fixture_store(host):
    """The driver store directory, as the stand-in libdxcore.so reports it."""
    names = host.check_output("ls -1 %s" % DRIVERS).split()
    assert len(names) == 1, names
    return "%s/%s" % (DRIVERS, names[0])


@pytest.fixture(name="podman_image", scope="module")
def fixture_podman_image(host):
    if _run(host, ["podman", "image", "exists", IMAGE]).rc != 0:
        host.check_output("podman load -q -i /srv/testbed/nbody-image.tar")
    return IMAGE


def test_docker_is_28_with_cdi(host):
    version = json.loads(host.check_output("docker version --format '{{json .Server}}'"))
    assert version["Version"].startswith("28."), version["Version"]
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert "/etc/cdi" in info.get("CDISpecDirs", []), info.get("CDISpecDirs")


def test_toolkit_reports_the_pinned_version(host):
    out = host.check_output("nvidia-ctk --version")
    assert out.splitlines()[0] == "NVIDIA Container Toolkit CLI version 1.17.8"


def test_cdi_spec_from_the_real_nvidia_ctk(host, store):
    spec = json.loads(host.file(SPEC).content_string)
    assert spec["kind"] == "nvidia.com/gpu"
    nodes = [n["path"] for d in spec["devices"] for n in d["containerEdits"].get("deviceNodes", [])]
    assert "/dev/dxg" in nodes
    mounts = [m["hostPath"] for m in spec["containerEdits"]["mounts"]]
    assert "/usr/lib/wsl/lib/libdxcore.so" in mounts
    for name in ("libcuda.so.1.1", "nvidia-smi"):
        assert "%s/%s" % (store, name) in mounts
    assert "nvidia.com/gpu=all" in host.check_output("nvidia-ctk cdi list").splitlines()


@pytest.mark.parametrize("way", sorted(WAYS))
def test_nbody_names_the_stand_in_gpu(host, way, podman_image):
    result = _run(host, WAYS[way] + [podman_image, "nbody", "-gpu", "-benchmark"])
    assert result.rc == 0, result.stdout + result.stderr
    parsed = _parse_nbody(result.stdout)
    assert parsed["ok"], parsed
    assert parsed["mode"] == "gpu"
    assert parsed["gpu_name"] == GPU
    assert parsed["compute_capability"] == "8.6"
    assert parsed["gflops"] > 0


@pytest.mark.parametrize("way", sorted(WAYS))
def test_container_sees_dxg_and_the_driver_store(host, way, store, podman_image):
    checks = ["test -c /dev/dxg", "test -e /usr/lib/wsl/lib/libdxcore.so"]
    checks += ["test -e %s/%s" % (store, name) for name in STORE_FILES]
    # The loader cache the toolkit refreshed resolves libcuda.so.1 into the driver store.
    checks += ["readlink -f %s/libcuda.so.1" % store]
    result = _run(host, WAYS[way] + [podman_image, "sh", "-ec", " && ".join(checks)])
    assert result.rc == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "%s/libcuda.so.1.1" % store


@pytest.mark.parametrize(
    "argv",
    [
        ["docker", "run", "--rm", "--runtime=runc"],
        ["podman", "run", "--rm", "--network=none"],
    ],
    ids=["docker runc", "podman"],
)
def test_without_the_gpu_the_sample_finds_no_device(host, argv, podman_image):
    result = _run(host, argv + [podman_image, "nbody", "-gpu", "-benchmark"])
    assert result.rc != 0
    assert "Error: only 0 Devices available, 1 requested.  Exiting." in result.stdout
