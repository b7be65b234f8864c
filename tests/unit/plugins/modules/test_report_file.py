"""wsl.cuda.report_file's main(): one write, missing directories created 0755, existing ones left as they are."""

from __future__ import annotations

import os
import stat

from ansible_collections.wsl.cuda.plugins.modules import report_file as module


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_missing_directories_are_created_0755(tmp_path, run_module):
    path = tmp_path / "var/lib/wsl-cuda/report.json"
    out = run_module(module.main, {"path": str(path), "content": "{}\n"})
    assert out["changed"] is True
    assert out["created_dirs"] == [str(tmp_path / "var"), str(tmp_path / "var/lib"), str(tmp_path / "var/lib/wsl-cuda")]
    assert path.read_text() == "{}\n" and mode(path) == 0o644
    assert mode(tmp_path / "var/lib/wsl-cuda") == 0o755


def test_an_existing_sticky_directory_keeps_its_mode(tmp_path, run_module):
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(str(shared), 0o1777)
    out = run_module(module.main, {"path": str(shared / "report.json"), "content": "a"})
    assert out["created_dirs"] == [] and mode(shared) == 0o1777
    assert os.listdir(str(shared)) == ["report.json"]


def test_the_same_content_is_not_written_again(tmp_path, run_module):
    path = tmp_path / "report.json"
    run_module(module.main, {"path": str(path), "content": "a"})
    assert run_module(module.main, {"path": str(path), "content": "a"})["changed"] is False
    assert run_module(module.main, {"path": str(path), "content": "b"})["changed"] is True
    assert path.read_text() == "b"


def test_check_mode_writes_nothing(tmp_path, run_module):
    path = tmp_path / "new/report.json"
    out = run_module(module.main, {"path": str(path), "content": "a", "_ansible_check_mode": True})
    assert out["changed"] is True and out["created_dirs"] == [str(tmp_path / "new")]
    assert not (tmp_path / "new").exists()


def test_a_file_in_the_way_of_a_directory_is_a_clear_failure(tmp_path, run_module):
    (tmp_path / "blocker").write_text("")
    out = run_module(module.main, {"path": str(tmp_path / "blocker/report.json"), "content": "a"}, fails=True)
    assert out["msg"].startswith("%s could not be written" % (tmp_path / "blocker/report.json"))
