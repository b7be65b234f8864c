"""wsl.cuda.daemon_json's main() and the filter wsl.cuda.daemon_json_merged (plugins/module_utils/daemon_json.py)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.wsl.cuda.plugins.filter.daemon_json_merged import FilterModule
from ansible_collections.wsl.cuda.plugins.module_utils import daemon_json
from ansible_collections.wsl.cuda.plugins.modules import daemon_json as module

NVIDIA = {"path": "nvidia-container-runtime", "args": []}
merged = FilterModule().filters()["daemon_json_merged"]


def write(path, text, mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(str(path), mode)


def test_a_new_file_gets_the_runtime_and_mode_0644(tmp_path, run_module):
    path = tmp_path / "etc/docker/daemon.json"
    out = run_module(module.main, {"path": str(path)})
    assert out["changed"] is True and out["exists"] is False and out["current"] == {}
    assert json.loads(path.read_text()) == {"runtimes": {"nvidia": NVIDIA}}
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(str(path.parent)).st_mode) == 0o755
    assert "backup_file" not in out


def test_the_users_keys_and_mode_stay_and_the_old_file_is_backed_up(tmp_path, run_module):
    path = tmp_path / "daemon.json"
    write(path, '{"log-driver": "json-file", "runtimes": {"crun": {"path": "crun"}}, "features": {"buildkit": true}}\n',
          0o600)
    out = run_module(module.main, {"path": str(path), "cdi_feature": True, "default_runtime": True})
    assert out["changed"] is True and out["mode"] == "0600"
    assert json.loads(path.read_text()) == {
        "log-driver": "json-file", "runtimes": {"crun": {"path": "crun"}, "nvidia": NVIDIA},
        "features": {"buildkit": True, "cdi": True}, "default-runtime": "nvidia"}
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert json.loads(open(out["backup_file"]).read())["log-driver"] == "json-file"
    assert sorted(os.listdir(str(tmp_path))) == sorted(["daemon.json", os.path.basename(out["backup_file"])])


def test_a_second_run_changes_nothing(tmp_path, run_module):
    path = tmp_path / "daemon.json"
    run_module(module.main, {"path": str(path)})
    before = path.read_text()
    out = run_module(module.main, {"path": str(path)})
    assert out["changed"] is False and path.read_text() == before
    assert merged(out["current"]) == out["current"]


@pytest.mark.parametrize("text, reason", [
    ('{"log-driver": "json-file",\n', "Expecting property name enclosed in double quotes"),
    ('["a list"]\n', "the top level is not an object"),
])
def test_a_file_that_is_not_a_json_object_is_refused_and_kept(tmp_path, run_module, text, reason):
    path = tmp_path / "daemon.json"
    write(path, text)
    out = run_module(module.main, {"path": str(path), "variable": "nvidia_container_toolkit_daemon_json"}, fails=True)
    assert out["msg"].startswith("%s (nvidia_container_toolkit_daemon_json) is not a JSON object" % path)
    assert reason in out["msg"] and "python3 -m json.tool %s" % path in out["msg"]
    assert path.read_text() == text and os.listdir(str(tmp_path)) == ["daemon.json"]


def test_check_mode_reads_and_writes_nothing(tmp_path, run_module):
    path = tmp_path / "daemon.json"
    write(path, '{"debug": true}')
    out = run_module(module.main, {"path": str(path), "_ansible_check_mode": True, "_ansible_diff": True})
    assert out["changed"] is True and out["current"] == {"debug": True}
    assert json.loads(out["diff"]["after"]) == {"debug": True, "runtimes": {"nvidia": NVIDIA}}
    assert path.read_text() == '{"debug": true}' and os.listdir(str(tmp_path)) == ["daemon.json"]


def test_an_empty_file_counts_as_no_configuration(tmp_path, run_module):
    path = tmp_path / "daemon.json"
    write(path, "\n")
    out = run_module(module.main, {"path": str(path), "_ansible_check_mode": True})
    assert out["current"] == {} and out["exists"] is True


@pytest.mark.parametrize("current, default_runtime, wanted_default", [
    ({"default-runtime": "nvidia"}, False, None),
    ({"default-runtime": "runc"}, False, "runc"),
    ({"default-runtime": "runc"}, True, "nvidia"),
    ({}, True, "nvidia"),
])
def test_default_runtime(current, default_runtime, wanted_default):
    wanted = daemon_json.merge(current, "nvidia", NVIDIA, default_runtime=default_runtime)
    assert wanted.get("default-runtime") == wanted_default
    assert wanted["runtimes"] == {"nvidia": NVIDIA}


def test_the_merge_leaves_its_input_alone_and_replaces_lists():
    current = {"runtimes": {"nvidia": {"path": "/opt/nvidia-container-runtime", "args": ["--debug"]}}}
    wanted = merged(current, runtime=NVIDIA, cdi_feature=True)
    assert wanted == {"runtimes": {"nvidia": NVIDIA}, "features": {"cdi": True}}
    assert current["runtimes"]["nvidia"]["args"] == ["--debug"]


def test_the_file_reads_as_to_nice_json_writes_it():
    assert daemon_json.dumps({"b": 1, "a": {"c": []}}) == '{\n  "a": {\n    "c": []\n  },\n  "b": 1\n}\n'


class _NoDeepcopy(dict):
    """Stands in for ansible-core's lazy containers, whose deepcopy drags in the templar (issue seen on 2.21)."""

    def __deepcopy__(self, memo):
        raise AssertionError("the merge deep-copied its input")


def test_the_merge_copies_its_input_without_deepcopy():
    current = _NoDeepcopy({"log-driver": "json-file", "runtimes": _NoDeepcopy({"crun": _NoDeepcopy({"path": "crun"})})})
    result = merged(current)
    assert result["runtimes"]["crun"] == {"path": "crun"} and "nvidia" in result["runtimes"]
    assert not isinstance(result["runtimes"], _NoDeepcopy) and "nvidia" not in current["runtimes"]
