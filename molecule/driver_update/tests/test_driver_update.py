"""After a Windows driver update and a restart of the distro with no play run: the CDI spec names the new
driver store, the log says it was refreshed, and every GPU path works."""

import json

IMAGE = "nvcr.io/nvidia/k8s/cuda-sample:nbody"
SPEC = "/etc/cdi/nvidia.json"
GPU = "NVIDIA GeForce RTX 3070 Laptop GPU"


def _systemd(host):
    return host.file("/run/systemd/system").is_directory


def _update(host):
    return json.loads(host.file("/root/driver-update.json").content_string)


def _refresh_log(host):
    if _systemd(host):
        return host.check_output("journalctl --boot --no-pager --output=cat --unit wsl-cuda-cdi-refresh.service")
    return host.file("/var/log/dockerd.log").content_string


def test_the_driver_store_moved(host):
    update = _update(host)
    assert not host.file(update["old"]).exists
    assert host.file(update["new"] + "/libcuda.so.1.1").is_file


def test_the_spec_names_the_new_driver_store(host):
    update = _update(host)
    text = host.file(SPEC).content_string
    spec = json.loads(text)
    assert spec["kind"] == "nvidia.com/gpu"
    mounts = [m["hostPath"] for m in spec["containerEdits"]["mounts"]]
    assert update["new"] + "/libcuda.so.1.1" in mounts
    assert update["new"] + "/nvidia-smi" in mounts
    assert "/usr/lib/wsl/lib/libdxcore.so" in mounts
    assert update["old"] not in text


def test_the_log_says_the_spec_was_refreshed(host):
    update = _update(host)
    lines = [line for line in _refresh_log(host).splitlines() if "wsl-cuda-cdi-refresh: regenerated " + SPEC in line]
    assert lines, "no refresh line in the log"
    assert "the driver store's libcuda.so.1.1 is gone: %s/libcuda.so.1.1" % update["old"] in lines[-1]
    assert lines[-1].endswith("it now names " + update["new"])


def test_the_check_agrees(host):
    out = json.loads(host.check_output("/usr/local/sbin/wsl-cuda-cdi-refresh check --json"))
    assert out["ok"] is True, out["problems"]
    assert out["driver_stores"] == [_update(host)["new"]]


def test_one_spec_defines_the_gpu(host):
    found = host.run("grep -l nvidia.com/gpu /etc/cdi/*.json /etc/cdi/*.yaml /var/run/cdi/*.json /var/run/cdi/*.yaml")
    assert found.stdout.split() == [SPEC]


def test_one_refresher_under_systemd(host):
    if not _systemd(host):
        assert not host.file("/etc/systemd/system/wsl-cuda-cdi-refresh.service").exists
        return
    assert host.service("wsl-cuda-cdi-refresh.service").is_enabled
    if host.file("/lib/systemd/system/nvidia-cdi-refresh.service").exists:
        assert not host.service("nvidia-cdi-refresh.service").is_enabled
        assert not host.service("nvidia-cdi-refresh.path").is_enabled


def _nbody(host, *argv):
    result = host.run(" ".join(argv + (IMAGE, "nbody", "-gpu", "-benchmark")))
    assert result.rc == 0, result.stdout + result.stderr
    assert GPU in result.stdout
    assert "single-precision GFLOP/s" in result.stdout


def test_gpus_all(host):
    _nbody(host, "docker", "run", "--rm", "--gpus", "all")


def test_cdi_device_with_docker(host):
    _nbody(host, "docker", "run", "--rm", "--device", "nvidia.com/gpu=all")


def test_cdi_device_with_podman(host):
    _nbody(host, "podman", "run", "--rm", "--network=none", "--device", "nvidia.com/gpu=all")


def test_nvml_in_a_container(host):
    result = host.run("docker run --rm --device nvidia.com/gpu=all --entrypoint nvidia-smi %s -L", IMAGE)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.stdout.startswith("GPU 0: " + GPU)
