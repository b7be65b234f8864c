# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wsl.cuda.apt_repository's logic on temporary files, with a fake apt-get; gpg makes the keys."""

from __future__ import annotations

import shutil

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import apt_repository, openpgp
from ansible_collections.wsl.cuda.plugins.modules import apt_repository as module

needs_gpg = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg makes the test keys")

CONTENT = "deb [signed-by=/etc/apt/keyrings/r.asc] file:///srv/mirror/r stable main\n"
KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxyz\n-----END PGP PUBLIC KEY BLOCK-----\n"


class FakeApt:
    """apt-get as the module calls it: indextargets names lists (which may exist), update may fail."""

    def __init__(self, tmp_path, lists=True, update_rc=0):
        self.calls = []
        self.list_file = tmp_path / "lists" / "_srv_mirror_r_Packages"
        self.list_file.parent.mkdir(exist_ok=True)
        if lists:
            self.list_file.write_text("Package: r\n")
        self.update_rc = update_rc

    def __call__(self, argv):
        self.calls.append(argv[1])
        if argv[1] == "indextargets":
            return 0, ("%s\n" % self.list_file) if self.list_file.exists() else "", ""
        if argv[1] == "update":
            if self.update_rc:
                return self.update_rc, "", "E: Problem executing scripts APT::Update::Pre-Invoke 'false'"
            self.list_file.write_text("Package: r\n")
            return 0, "", ""
        raise AssertionError(argv)


def params(tmp_path, **more):
    base = dict(state="present", key=KEY, keyring=str(tmp_path / "keyrings" / "r.asc"),
                source=str(tmp_path / "sources.list.d" / "r.list"), content=CONTENT, update=True,
                remove_sources=[], remove_keys=[], global_keyring=str(tmp_path / "trusted.gpg"),
                global_keyring_dir=str(tmp_path / "trusted.gpg.d"))
    base.update(more)
    return base


def test_first_run_writes_both_and_updates(tmp_path):
    apt = FakeApt(tmp_path, lists=False)
    result = apt_repository.apply(params(tmp_path), apt)
    assert result["changed"] and result["keyring_changed"] and result["source_changed"] and result["updated"]
    assert (tmp_path / "keyrings" / "r.asc").read_text() == KEY
    assert (tmp_path / "sources.list.d" / "r.list").read_text() == CONTENT
    assert oct((tmp_path / "sources.list.d" / "r.list").stat().st_mode & 0o777) == "0o644"
    assert apt.calls == ["update"]


def test_second_run_changes_nothing_and_only_reads(tmp_path):
    apply = apt_repository.apply
    apply(params(tmp_path), FakeApt(tmp_path, lists=False))
    apt = FakeApt(tmp_path)
    result = apply(params(tmp_path), apt)
    assert not result["changed"] and not result["updated"] and result["lists_present"]
    assert apt.calls == ["indextargets"]


def test_missing_lists_are_fetched_again(tmp_path):
    """A run killed after writing the source: the files are right, apt knows no package of the repository."""
    apt_repository.apply(params(tmp_path), FakeApt(tmp_path, lists=False))
    apt = FakeApt(tmp_path)
    apt.list_file.unlink()
    result = apt_repository.apply(params(tmp_path), apt)
    assert result["changed"] and result["updated"] and not result["source_changed"] and result["lists_present"] is False
    assert apt.calls == ["indextargets", "update"]


def test_drift_in_the_source_is_put_right(tmp_path):
    apt_repository.apply(params(tmp_path), FakeApt(tmp_path, lists=False))
    (tmp_path / "sources.list.d" / "r.list").write_text("deb http://elsewhere/ stable main\n")
    result = apt_repository.apply(params(tmp_path), FakeApt(tmp_path))
    assert result["source_changed"] and not result["keyring_changed"] and result["updated"]
    assert (tmp_path / "sources.list.d" / "r.list").read_text() == CONTENT


def test_check_mode_writes_nothing(tmp_path):
    apt = FakeApt(tmp_path, lists=False)
    result = apt_repository.apply(params(tmp_path), apt, check_mode=True)
    assert result["changed"] and result["updated"]
    assert not (tmp_path / "sources.list.d").exists() and not (tmp_path / "keyrings").exists()
    assert apt.calls == []


def test_failed_update_puts_the_previous_source_back_and_leaves_no_backup(tmp_path):
    source = tmp_path / "sources.list.d" / "r.list"
    source.parent.mkdir()
    source.write_text("deb [signed-by=/etc/apt/keyrings/r.asc] file:///srv/mirror/r experimental main\n")
    previous = source.read_bytes()
    with pytest.raises(apt_repository.RepositoryError) as failed:
        apt_repository.apply(params(tmp_path), FakeApt(tmp_path, update_rc=100))
    assert source.read_bytes() == previous
    assert not (tmp_path / "keyrings" / "r.asc").exists()
    assert sorted(p.name for p in source.parent.iterdir()) == ["r.list"]
    assert "Problem executing scripts APT::Update::Pre-Invoke" in failed.value.msg
    assert "%s was restored to what it was, so apt-get update keeps working." % source in failed.value.msg


def test_failed_update_removes_a_new_source_again(tmp_path):
    with pytest.raises(apt_repository.RepositoryError) as failed:
        apt_repository.apply(params(tmp_path), FakeApt(tmp_path, lists=False, update_rc=100))
    assert not (tmp_path / "sources.list.d" / "r.list").exists()
    assert "was removed again" in failed.value.msg


def test_absent_removes_source_and_keyring(tmp_path):
    apt_repository.apply(params(tmp_path), FakeApt(tmp_path, lists=False))
    apt = FakeApt(tmp_path)
    result = apt_repository.apply(params(tmp_path, state="absent", key=None, content=None), apt)
    assert result["changed"] and not result["updated"]
    assert not (tmp_path / "sources.list.d" / "r.list").exists() and not (tmp_path / "keyrings" / "r.asc").exists()
    assert apt.calls == []
    assert not apt_repository.apply(params(tmp_path, state="absent", key=None, content=None), apt)["changed"]


def test_earlier_sources_are_removed(tmp_path):
    old = tmp_path / "sources.list.d" / "nvidia-docker.list"
    old.parent.mkdir()
    old.write_text("deb file:///srv/mirror/nvidia-docker/debian10/$(ARCH) /\n")
    result = apt_repository.apply(params(tmp_path, remove_sources=[str(old), str(tmp_path / "never.list")]),
                                  FakeApt(tmp_path, lists=False))
    assert result["removed_sources"] == [str(old)] and not old.exists()


@needs_gpg
def test_global_keys_removed_and_other_keys_kept(tmp_path, gpg, keys):
    ours, theirs = keys["plain"], keys["rsa"]
    trusted = tmp_path / "trusted.gpg"
    trusted.write_bytes(gpg.export(ours, theirs, armor=False))
    fragments = tmp_path / "trusted.gpg.d"
    fragments.mkdir()
    (fragments / "nvidia.asc").write_bytes(gpg.export(ours))
    (fragments / "mixed.gpg").write_bytes(gpg.export(ours, keys["with_subkey"], armor=False))
    (fragments / "notes.txt").write_text("not a keyring")
    result = apt_repository.apply(params(tmp_path, remove_keys=[ours.lower()]), FakeApt(tmp_path, lists=False))
    assert gpg.show_keys(trusted.read_bytes()) == [theirs]
    # What is left still verifies as the original did: gpg reads the re-encoded packets, subkeys included.
    assert gpg.all_fprs(trusted.read_bytes()) == [theirs] + gpg.subkey_fprs(theirs)
    assert not (fragments / "nvidia.asc").exists()
    assert (fragments / "mixed.gpg").exists() and (fragments / "notes.txt").exists()
    assert [entry["path"] for entry in result["removed_keys"]] == [str(trusted), str(fragments / "nvidia.asc")]
    assert result["removed_keys"][0] == dict(path=str(trusted), fingerprints=[ours], file_removed=False)
    again = apt_repository.apply(params(tmp_path, remove_keys=[ours]), FakeApt(tmp_path))
    assert not again["changed"] and again["removed_keys"] == []


@needs_gpg
def test_global_keyring_removed_when_nothing_is_left(tmp_path, gpg, keys):
    trusted = tmp_path / "trusted.gpg"
    trusted.write_bytes(gpg.export(keys["plain"], armor=False))
    (tmp_path / "trusted.gpg~").write_bytes(trusted.read_bytes())
    result = apt_repository.apply(params(tmp_path, remove_keys=[keys["plain"]]), FakeApt(tmp_path, lists=False))
    assert not trusted.exists() and not (tmp_path / "trusted.gpg~").exists()
    assert result["removed_keys"][0]["file_removed"] is True


@needs_gpg
def test_without_keys_keeps_the_order_and_every_packet(gpg, keys):
    data = gpg.export(keys["with_subkey"], keys["rsa"], armor=False)
    rest, removed, left = apt_repository.without_keys(data, [])
    assert removed == [] and left == [keys["with_subkey"], keys["rsa"]]
    assert openpgp.packets(rest) == openpgp.packets(data)


def test_a_damaged_global_keyring_is_left_alone(tmp_path):
    (tmp_path / "trusted.gpg").write_bytes(b"\x00not a keyring")
    result = apt_repository.apply(params(tmp_path, remove_keys=["C95B321B61E88C1809C4F759DDCAE044F796ECB0"]),
                                  FakeApt(tmp_path, lists=False))
    assert result["removed_keys"] == [] and (tmp_path / "trusted.gpg").read_bytes() == b"\x00not a keyring"


def test_update_and_lists_argv_name_the_source_alone():
    assert apt_repository.update_argv("/s.list") == [
        "apt-get", "update", "-o", "Dir::Etc::sourcelist=/s.list", "-o", "Dir::Etc::sourceparts=-",
        "-o", "APT::Get::List-Cleanup=0"]
    assert apt_repository.lists_argv("/s.list")[:6] == [
        "apt-get", "indextargets", "-o", "Dir::Etc::sourcelist=/s.list", "-o", "Dir::Etc::sourceparts=-"]


def test_module_fails_with_apt_message(run_module, tmp_path, monkeypatch):
    fake = FakeApt(tmp_path, lists=False, update_rc=100)
    monkeypatch.setattr(module.AnsibleModule, "run_command", lambda self, argv, **kw: fake(argv))
    args = params(tmp_path)
    out = run_module(module.main, args, fails=True)
    assert "Problem executing scripts" in out["msg"] and out["source_changed"] is True
    assert not (tmp_path / "sources.list.d" / "r.list").exists()


def test_module_requires_key_and_content(run_module, tmp_path):
    out = run_module(module.main, dict(keyring=str(tmp_path / "k"), source=str(tmp_path / "s")), fails=True)
    assert "key" in out["msg"] and "content" in out["msg"]


def test_module_reports_one_change_then_none(run_module, tmp_path, monkeypatch):
    fake = FakeApt(tmp_path, lists=False)
    monkeypatch.setattr(module.AnsibleModule, "run_command", lambda self, argv, **kw: fake(argv))
    assert run_module(module.main, params(tmp_path))["changed"] is True
    assert run_module(module.main, params(tmp_path))["changed"] is False
