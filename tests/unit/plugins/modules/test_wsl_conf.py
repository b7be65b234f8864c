"""wsl.cuda.wsl_conf's main(): one call, one changed, check mode and diff, the user's mode kept."""

from __future__ import annotations

import os
import stat

from ansible_collections.wsl.cuda.plugins.modules import wsl_conf as module

OURS = "/usr/local/sbin/wsl-cuda-dockerd start"


def test_creates_the_file_with_0644(tmp_path, run_module):
    path = tmp_path / "wsl.conf"
    out = run_module(module.main, {"path": str(path), "command": OURS, "command_state": "present"})
    assert out["changed"] is True
    assert path.read_text() == '[boot]\ncommand = "%s"\n' % OURS
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o644
    assert out["boot"] == {"command": OURS, "systemd": None}
    again = run_module(module.main, {"path": str(path), "command": OURS, "command_state": "present"})
    assert again["changed"] is False and again["messages"] == []


def test_an_existing_file_keeps_its_mode(tmp_path, run_module):
    path = tmp_path / "wsl.conf"
    path.write_text("[network]\ngenerateResolvConf = true\n")
    os.chmod(str(path), 0o600)
    out = run_module(module.main, {"path": str(path), "systemd": True, "command": OURS, "command_state": "absent"})
    assert out["changed"] is True
    assert path.read_text() == "[network]\ngenerateResolvConf = true\n\n[boot]\nsystemd = true\n"
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert not [name for name in os.listdir(str(tmp_path)) if name != "wsl.conf"], "a temporary file was left"


def test_check_mode_with_diff_writes_nothing(tmp_path, run_module):
    path = tmp_path / "wsl.conf"
    path.write_text('[boot]\ncommand = "mount -a; %s"\n' % OURS)
    out = run_module(module.main, {"path": str(path), "command": OURS, "command_state": "absent",
                                   "_ansible_check_mode": True, "_ansible_diff": True})
    assert out["changed"] is True
    assert out["diff"]["after"] == '[boot]\ncommand = "mount -a"\n'
    assert path.read_text() == '[boot]\ncommand = "mount -a; %s"\n' % OURS


def test_nothing_to_do_without_a_file(tmp_path, run_module):
    path = tmp_path / "wsl.conf"
    out = run_module(module.main, {"path": str(path), "command": OURS, "command_state": "absent"})
    assert out["changed"] is False
    assert not path.exists()


def test_command_state_needs_a_command(tmp_path, run_module):
    out = run_module(module.main, {"path": str(tmp_path / "wsl.conf"), "command": " ", "command_state": "present"},
                     fails=True)
    assert "command must name the boot command" in out["msg"]


def test_a_directory_is_refused(tmp_path, run_module):
    out = run_module(module.main, {"path": str(tmp_path), "systemd": True}, fails=True)
    assert "is not a regular file" in out["msg"]
