"""After a Windows driver update and a restart of the distro with no play run: the CDI spec names the new
driver store, the log says it was refreshed, and every GPU path works.

Three refreshers (molecule.yml): the start script (boot_command), our wsl-cuda-cdi-refresh.service (systemd
with toolkit 1.18.0, group our_refresher), the toolkit's nvidia-cdi-refresh.service (systemd with toolkit
1.20.0, group toolkit_refresher)."""

import json

IMAGE = "nvcr.io/nvidia/k8s/cuda-sample:nbody"
OUR_SPEC = "/etc/cdi/nvidia.json"
TOOLKIT_SPEC = "/var/run/cdi/nvidia.json"
GPU = "NVIDIA GeForce RTX 3070 Laptop GPU"


def _systemd(host):
    return host.file("/run/systemd/system").is_directory


def _by_toolkit(host):
    """The scenario's choice (its inventory groups), not what the machine shows."""
    return "toolkit_refresher" in host.ansible.get_variables()["group_names"]


def _spec(host):
    return TOOLKIT_SPEC if _by_toolkit(host) else OUR_SPEC


def _update(host):
    return json.loads(host.file("/root/driver-update.json").content_string)


def _booted(host):
    """When this boot's systemd started (the restart in side_effect), as a Unix time."""
    return int(host.check_output("systemctl show --timestamp=unix -p UserspaceTimestamp --value").lstrip("@"))


def _journal(host, unit):
    # Since this boot's systemd started: the restarted container shares the host's boot ID, so --boot would
    # also show what the unit logged during converge, before the driver update.
    return host.check_output("journalctl --no-pager --output=cat --since %s --unit %s", "@%d" % _booted(host), unit)


def _refresh_log(host):
    if _systemd(host):
        return _journal(host, "wsl-cuda-cdi-refresh.service")
    return host.file("/var/log/dockerd.log").content_string


def test_the_driver_store_moved(host):
    update = _update(host)
    assert not host.file(update["old"]).exists
    assert host.file(update["new"] + "/libcuda.so.1.1").is_file


def test_the_spec_names_the_new_driver_store(host):
    update = _update(host)
    text = host.file(_spec(host)).content_string
    spec = json.loads(text)
    assert spec["kind"] == "nvidia.com/gpu"
    mounts = [m["hostPath"] for m in spec["containerEdits"]["mounts"]]
    assert update["new"] + "/libcuda.so.1.1" in mounts
    assert update["new"] + "/nvidia-smi" in mounts
    assert "/usr/lib/wsl/lib/libdxcore.so" in mounts
    assert update["old"] not in text


def test_the_log_says_the_spec_was_refreshed(host):
    update = _update(host)
    if _by_toolkit(host):
        # The toolkit's unit generates it at every boot (/var/run is a tmpfs); our ExecStartPost checks it.
        log = _journal(host, "nvidia-cdi-refresh.service")
        assert "Generated CDI spec with version" in log, log
        lines = [line for line in log.splitlines() if "wsl-cuda-cdi-refresh: %s is current" % TOOLKIT_SPEC in line]
        assert lines, "no check line of our ExecStartPost in the journal:\n" + log
        assert lines[-1].endswith("it names %s, which exist" % update["new"])
        return
    lines = [line for line in _refresh_log(host).splitlines() if "wsl-cuda-cdi-refresh: regenerated " + OUR_SPEC in line]
    assert lines, "no refresh line in the log"
    assert "the driver store's libcuda.so.1.1 is gone: %s/libcuda.so.1.1" % update["old"] in lines[-1]
    assert lines[-1].endswith("it now names " + update["new"])


def test_the_toolkit_refreshed_after_boot(host):
    """nvidia-cdi-refresh.service ran in this boot, after the driver update, and succeeded."""
    if not _by_toolkit(host):
        assert not host.file(TOOLKIT_SPEC).exists
        return
    show = dict(
        line.split("=", 1)
        for line in host.check_output(
            "systemctl show --timestamp=unix nvidia-cdi-refresh.service -p Result -p ExecMainStatus"
            " -p ExecMainStartTimestamp"
        ).splitlines()
    )
    assert show["Result"] == "success", show
    assert show["ExecMainStatus"] == "0", show
    # This boot's systemd started before it, and the driver store moved (side_effect) before that.
    started = int(show["ExecMainStartTimestamp"].lstrip("@"))
    booted = _booted(host)
    moved = int(host.file("/root/driver-update.json").mtime.timestamp())
    assert moved <= booted <= started, (moved, booted, started)
    assert host.file(TOOLKIT_SPEC).mtime.timestamp() >= started - 1


def test_the_check_agrees(host):
    out = json.loads(host.check_output("/usr/local/sbin/wsl-cuda-cdi-refresh check --json"))
    assert out["ok"] is True, out["problems"]
    assert out["driver_stores"] == [_update(host)["new"]]


def test_one_spec_defines_the_gpu(host):
    found = host.run("grep -l nvidia.com/gpu /etc/cdi/*.json /etc/cdi/*.yaml /var/run/cdi/*.json /var/run/cdi/*.yaml")
    assert found.stdout.split() == [_spec(host)]


def test_one_refresher_under_systemd(host):
    if not _systemd(host):
        assert not host.file("/etc/systemd/system/wsl-cuda-cdi-refresh.service").exists
        return
    if _by_toolkit(host):
        assert host.service("nvidia-cdi-refresh.service").is_enabled
        # Ours is not even installed (is-enabled: rc 4, "not-found").
        ours = host.run("systemctl is-enabled wsl-cuda-cdi-refresh.service")
        assert ours.stdout.strip() == "not-found", ours.stdout + ours.stderr
        assert not host.file("/etc/systemd/system/wsl-cuda-cdi-refresh.service").exists
        # Our check runs inside the toolkit's unit.
        assert host.file("/etc/systemd/system/nvidia-cdi-refresh.service.d/wsl-cuda.conf").contains(
            "ExecStartPost=-/usr/local/sbin/wsl-cuda-cdi-refresh refresh --no-generate"
        )
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
