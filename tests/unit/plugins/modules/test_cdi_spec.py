"""wsl.cuda.cdi_spec's main(), on a spec the real nvidia-ctk wrote (tests/unit/fixtures/cdi)."""

from __future__ import annotations

import os

from ansible_collections.wsl.cuda.plugins.modules import cdi_spec as module
from ansible_collections.wsl.cuda.tests.unit.plugins.module_utils.test_cdi_spec_checks import (
    NEW_STORE, STORE, driver_update, fixture, lay_out, write_spec)


def test_checked_reports_a_good_spec(tmp_path, run_module):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/etc/cdi/nvidia.json", text)
    out = run_module(module.main, {"root": str(tmp_path), "podman_version": "", "toolkit_version": "1.20.0"})
    assert out["changed"] is False
    assert out["action"] == "checked"
    assert out["spec"]["ok"] is True
    assert out["spec"]["driver_stores"] == [STORE]
    assert out["feature_flags"] == [] and out["podman_message"] is None


def test_refreshed_in_check_mode_changes_nothing(tmp_path, run_module):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/etc/cdi/nvidia.json", text)
    driver_update(tmp_path)
    out = run_module(module.main, {"root": str(tmp_path), "state": "refreshed", "podman_version": "",
                                   "toolkit_version": "1.20.0", "_ansible_check_mode": True})
    assert out["changed"] is True
    assert out["action"] == "regenerated"
    assert out["messages"][0].startswith("would regenerate /etc/cdi/nvidia.json (it is stale:")
    with open(os.path.join(str(tmp_path), "etc/cdi/nvidia.json")) as handle:
        written = handle.read()
    assert written == text and NEW_STORE not in written


def test_refreshed_without_generating_removes_a_stale_spec(tmp_path, run_module):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, "/var/run/cdi/nvidia.json", text)
    driver_update(tmp_path)
    out = run_module(module.main, {"root": str(tmp_path), "path": "/var/run/cdi/nvidia.json", "state": "refreshed",
                                   "generate": False, "podman_version": "", "toolkit_version": "1.20.0"})
    assert out["changed"] is True
    assert out["action"] == "removed"
    assert not os.path.exists(os.path.join(str(tmp_path), "var/run/cdi/nvidia.json"))
    assert out["spec"]["exists"] is False


def test_old_podman_gets_the_fallback_flag(tmp_path, run_module):
    out = run_module(module.main, {"root": str(tmp_path), "podman_version": "podman version 4.9.3", "toolkit_version": "1.20.0"})
    assert out["feature_flags"] == ["no-additional-gids-for-device-nodes"]
    assert "podman 4.9.3 is older than 5.1" in out["podman_message"]
