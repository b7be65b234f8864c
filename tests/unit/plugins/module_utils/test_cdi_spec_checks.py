"""plugins/module_utils/cdi_spec.py on specs written by the real nvidia-ctk (tests/unit/fixtures/cdi)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import cdi_spec

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "fixtures", "cdi")
STORE = "/usr/lib/wsl/drivers/nv_dispi.inf_amd64_1a2b3c4d5e6f7a8b"
NEW_STORE = "/usr/lib/wsl/drivers/nv_dispi.inf_amd64_99ffee0011223344"


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def host_paths(text):
    spec = cdi_spec.load_spec(text)
    return sorted(set(path for _what, path in cdi_spec._host_paths(spec)))


def lay_out(root, text):
    """Create, under root, every host path the spec names (the stand-in WSL distro)."""
    for path in host_paths(text):
        full = os.path.join(str(root), path.lstrip("/"))
        if path.endswith("/lib") or path == STORE or path == NEW_STORE:
            os.makedirs(full, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(full), exist_ok=True)
        open(full, "w").close()


def write_spec(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)


def driver_update(root):
    """What Windows does on a driver update: the driver store gets a new name."""
    os.rename(os.path.join(str(root), STORE.lstrip("/")), os.path.join(str(root), NEW_STORE.lstrip("/")))


@pytest.mark.parametrize("name", ["wsl-0.3.0.json", "wsl-0.3.0.yaml", "wsl-0.7.0-gids.json", "wsl-nogids-flag.json"])
def test_real_specs_pass_on_their_host(tmp_path, name):
    if name.endswith(".yaml"):
        pytest.importorskip("yaml")
    text = fixture(name)
    lay_out(tmp_path, text)
    result = cdi_spec.check_spec(cdi_spec.load_spec(text), root=str(tmp_path))
    assert result["problems"] == []
    assert result["ok"] is True
    assert result["driver_stores"] == [STORE]
    assert result["required"]["dxg"] == {"path": "/dev/dxg", "exists": True}
    assert result["required"]["libdxcore"] == {"path": "/usr/lib/wsl/lib/libdxcore.so", "exists": True}
    assert result["required"]["libcuda"] == {"path": STORE + "/libcuda.so.1.1", "exists": True}
    assert result["required"]["nvidia_smi"] == {"path": STORE + "/nvidia-smi", "exists": True}
    assert result["devices"] == ["all"]
    assert result["kind"] == "nvidia.com/gpu"


def test_versions_and_podman_needs_of_the_real_specs():
    plain = cdi_spec.check_spec(cdi_spec.load_spec(fixture("wsl-0.3.0.json")), root="/nonexistent")
    gids = cdi_spec.check_spec(cdi_spec.load_spec(fixture("wsl-0.7.0-gids.json")), root="/nonexistent")
    flagged = cdi_spec.check_spec(cdi_spec.load_spec(fixture("wsl-nogids-flag.json")), root="/nonexistent")
    assert (plain["cdi_version"], plain["additional_gids"], plain["podman_min_version"]) == ("0.3.0", False, None)
    assert (gids["cdi_version"], gids["additional_gids"], gids["podman_min_version"]) == ("0.7.0", True, "5.1")
    assert (flagged["cdi_version"], flagged["additional_gids"], flagged["podman_min_version"]) == ("0.3.0", False, None)


def test_driver_update_makes_the_spec_stale(tmp_path):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    driver_update(tmp_path)
    result = cdi_spec.check_spec(cdi_spec.load_spec(text), root=str(tmp_path))
    assert result["ok"] is False
    assert result["required"]["libcuda"]["exists"] is False
    assert result["required"]["dxg"]["exists"] is True
    assert "the driver store's libcuda.so.1.1 is gone: %s/libcuda.so.1.1" % STORE in result["problems"]
    assert STORE + "/nvidia-smi" in result["missing"]
    assert STORE in result["missing"]  # the update-ldcache --folder


def test_a_spec_without_libdxcore_is_refused(tmp_path):
    spec = cdi_spec.load_spec(fixture("wsl-0.3.0.json"))
    spec["containerEdits"]["mounts"] = [m for m in spec["containerEdits"]["mounts"] if not m["hostPath"].endswith("libdxcore.so")]
    lay_out(tmp_path, json.dumps(spec))
    result = cdi_spec.check_spec(spec, root=str(tmp_path))
    assert result["ok"] is False
    assert result["problems"] == ["it does not name libdxcore.so (WSL's /usr/lib/wsl/lib)"]


def test_a_spec_without_dxg_or_the_all_device_is_refused(tmp_path):
    spec = cdi_spec.load_spec(fixture("wsl-0.3.0.json"))
    spec["devices"] = [{"name": "0", "containerEdits": {}}]
    lay_out(tmp_path, json.dumps(spec))
    problems = cdi_spec.check_spec(spec, root=str(tmp_path))["problems"]
    assert "it has no device 'all' (nvidia.com/gpu=all)" in problems
    assert "it does not name device node /dev/dxg" in problems


def test_a_missing_dxg_is_named(tmp_path):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    os.remove(os.path.join(str(tmp_path), "dev/dxg"))
    result = cdi_spec.check_spec(cdi_spec.load_spec(text), root=str(tmp_path))
    assert result["problems"] == ["device node /dev/dxg is gone: /dev/dxg"]


def test_check_file_reports_absent_and_garbage(tmp_path):
    absent = cdi_spec.check_file("/etc/cdi/nvidia.json", root=str(tmp_path))
    assert (absent["exists"], absent["ok"], absent["problems"]) == (False, False, [])
    write_spec(tmp_path, "/etc/cdi/nvidia.json", "{not json")
    garbage = cdi_spec.check_file("/etc/cdi/nvidia.json", root=str(tmp_path))
    assert garbage["exists"] is True and garbage["ok"] is False
    assert garbage["problems"][0].startswith("it cannot be parsed")


@pytest.mark.parametrize("text,expected", [
    ("NVIDIA Container Toolkit CLI version 1.20.0\ncommit: 5505e2f", (1, 20, 0)),
    ("podman version 4.9.3", (4, 9, 3)),
    ("1.19.1-1", (1, 19, 1)),
    ("v0.7.0", (0, 7, 0)),
    ("Docker version 28.5.2+dfsg1, build 1", (28, 5, 2)),
    ("", None),
    (None, None),
])
def test_version_tuple(text, expected):
    assert cdi_spec.version_tuple(text) == expected


@pytest.mark.parametrize("podman,toolkit,flags", [
    (None, "1.20.0", []),
    ("podman version 5.4.2", "1.20.0", []),
    ("podman version 5.1.0", "1.20.0", []),
    ("podman version 4.9.3", "1.20.0", [cdi_spec.NO_GIDS_FLAG]),
    ("podman version 4.9.3", "1.19.0", [cdi_spec.NO_GIDS_FLAG]),
    ("podman version 4.9.3", "1.18.0", []),  # writes no additionalGids at all
])
def test_podman_decision(podman, toolkit, flags):
    decision = cdi_spec.podman_decision(podman, toolkit)
    assert decision["feature_flags"] == flags
    assert (decision["message"] is not None) == bool(flags)
    if flags:
        assert "podman 4.9.3 is older than 5.1" in decision["message"]
        assert "--feature-flag no-additional-gids-for-device-nodes" in decision["message"]


class FakeToolkit:
    """Writes, like `nvidia-ctk cdi generate --mode=wsl`, the real spec for whatever driver store is there now."""

    def __init__(self, root, rc=0, template="wsl-0.3.0.json"):
        self.root, self.rc, self.template, self.calls = str(root), rc, template, []

    def __call__(self, argv):
        self.calls.append(argv)
        if self.rc:
            return self.rc, 'level=error msg="failed to generate CDI spec: failed to initialize dxcore"'
        stores = os.listdir(os.path.join(self.root, "usr/lib/wsl/drivers"))
        text = fixture("wsl-0.7.0-gids.json" if self.template == "gids" and cdi_spec.NO_GIDS_FLAG not in " ".join(argv)
                       else "wsl-0.3.0.json").replace(STORE, "/usr/lib/wsl/drivers/" + stores[0])
        output = [a for a in argv if a.startswith("--output=")][0].split("=", 1)[1]
        write_spec(self.root, output, text)
        return 0, 'level=info msg="Generated CDI spec with version 0.3.0"'


def test_refresh_keeps_a_current_spec(tmp_path):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/etc/cdi/nvidia.json", text)
    toolkit, lines = FakeToolkit(tmp_path), []
    result = cdi_spec.refresh("/etc/cdi/nvidia.json", toolkit, lines.append, root=str(tmp_path))
    assert result["action"] == "kept"
    assert toolkit.calls == []
    assert lines == ["/etc/cdi/nvidia.json is current: it names %s, which exist" % STORE]


def test_refresh_regenerates_after_a_driver_update(tmp_path):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/etc/cdi/nvidia.json", text)
    driver_update(tmp_path)
    toolkit, lines = FakeToolkit(tmp_path), []
    result = cdi_spec.refresh("/etc/cdi/nvidia.json", toolkit, lines.append, root=str(tmp_path),
                              podman_version="podman version 5.4.2", toolkit_version="1.20.0")
    assert result["action"] == "regenerated"
    assert toolkit.calls == [["nvidia-ctk", "cdi", "generate", "--mode=wsl", "--format=json", "--output=/etc/cdi/nvidia.json"]]
    assert result["after"]["ok"] and result["after"]["driver_stores"] == [NEW_STORE]
    assert len(lines) == 1
    assert lines[0].startswith("regenerated /etc/cdi/nvidia.json (it is stale: the driver store's libcuda.so.1.1 is gone")
    assert lines[0].endswith("it now names %s" % NEW_STORE)


def test_refresh_removes_the_spec_when_generation_fails(tmp_path):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/etc/cdi/nvidia.json", text)
    driver_update(tmp_path)
    lines = []
    result = cdi_spec.refresh("/etc/cdi/nvidia.json", FakeToolkit(tmp_path, rc=1), lines.append, root=str(tmp_path))
    assert result["action"] == "removed"
    assert not os.path.exists(os.path.join(str(tmp_path), "etc/cdi/nvidia.json"))
    assert lines[0].startswith("removed /etc/cdi/nvidia.json (it is stale:")
    assert "nvidia-ctk cdi generate failed (rc 1)" in lines[0]
    assert "so that it cannot break `docker run --gpus`" in lines[0]


def test_refresh_without_generating_removes_a_stale_spec(tmp_path):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/var/run/cdi/nvidia.json", text)
    driver_update(tmp_path)
    toolkit, lines = FakeToolkit(tmp_path), []
    result = cdi_spec.refresh("/var/run/cdi/nvidia.json", toolkit, lines.append, root=str(tmp_path), generate=False,
                              podman_version="podman version 4.9.3", toolkit_version="1.20.0")
    assert result["action"] == "removed"
    assert toolkit.calls == []
    assert "not regenerated here (nvidia-cdi-refresh.service generates it)" in lines[0]


def test_refresh_moves_other_gpu_specs_aside(tmp_path):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/etc/cdi/nvidia.json", text)
    write_spec(tmp_path, "/etc/cdi/nvidia.yaml", text)  # what this role wrote before, still current
    write_spec(tmp_path, "/etc/cdi/other-vendor.json", json.dumps({"cdiVersion": "0.5.0", "kind": "example.com/nic", "devices": []}))
    lines = []
    result = cdi_spec.refresh("/etc/cdi/nvidia.json", FakeToolkit(tmp_path), lines.append, root=str(tmp_path),
                              aside_suffix=".stale-X")
    assert result["moved_aside"] == ["/etc/cdi/nvidia.yaml.stale-X"]
    assert sorted(os.listdir(os.path.join(str(tmp_path), "etc/cdi"))) == ["nvidia.json", "nvidia.yaml.stale-X", "other-vendor.json"]
    assert lines[0] == "moved /etc/cdi/nvidia.yaml aside to /etc/cdi/nvidia.yaml.stale-X: a second definition of nvidia.com/gpu"
    assert result["action"] == "kept"


def test_refresh_uses_the_fallback_for_an_old_podman(tmp_path):
    text = fixture("wsl-0.7.0-gids.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/etc/cdi/nvidia.json", text)
    toolkit, lines = FakeToolkit(tmp_path, template="gids"), []
    result = cdi_spec.refresh("/etc/cdi/nvidia.json", toolkit, lines.append, root=str(tmp_path),
                              podman_version="podman version 4.9.3", toolkit_version="1.20.0")
    assert result["action"] == "regenerated"
    assert toolkit.calls[0][-1] == "--feature-flag=" + cdi_spec.NO_GIDS_FLAG
    assert result["after"]["cdi_version"] == "0.3.0"
    assert lines[0].startswith("podman 4.9.3 is older than 5.1")
    assert "podman 4.9.3 cannot read its cdiVersion 0.7.0" in lines[1]


def test_main_check_exit_status(tmp_path, capsys):
    absent = str(tmp_path / "none.json")
    assert cdi_spec.main(["check", "--spec", absent]) == 1
    assert "is not usable: there is none" in capsys.readouterr().out
    shutil.copy(os.path.join(FIXTURES, "wsl-0.3.0.json"), absent)
    assert cdi_spec.main(["check", "--spec", absent, "--json"]) == 1  # its paths are not on this machine
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["cdi_version"] == "0.3.0"


def test_refresh_moves_aside_a_gpu_spec_it_cannot_check(tmp_path):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/etc/cdi/nvidia.json", text)
    write_spec(tmp_path, "/var/run/cdi/nvidia.yaml", "kind: nvidia.com/gpu\ndevices: [{{{\n")
    lines = []
    result = cdi_spec.refresh("/etc/cdi/nvidia.json", FakeToolkit(tmp_path), lines.append, root=str(tmp_path),
                              aside_suffix=".stale-X")
    assert result["moved_aside"] == ["/var/run/cdi/nvidia.yaml.stale-X"]
    assert lines[0].startswith("moved /var/run/cdi/nvidia.yaml aside to /var/run/cdi/nvidia.yaml.stale-X: "
                               "a second definition of nvidia.com/gpu that cannot be checked (")
