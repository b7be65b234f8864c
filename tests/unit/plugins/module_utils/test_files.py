# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/files.py: how every module of ours writes a file."""

from __future__ import annotations

import os

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import files


def test_missing_directories_outermost_first(tmp_path):
    assert files.missing_directories(str(tmp_path / "a" / "b")) == [str(tmp_path / "a"), str(tmp_path / "a" / "b")]
    assert files.missing_directories(str(tmp_path)) == []


def test_make_directories_ignores_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        files.make_directories(files.missing_directories(str(tmp_path / "a" / "b")))
    finally:
        os.umask(old)
    assert oct((tmp_path / "a").stat().st_mode & 0o777) == "0o755"
    assert oct((tmp_path / "a" / "b").stat().st_mode & 0o777) == "0o755"


def test_a_new_file_gets_0644_or_the_mode_asked(tmp_path):
    files.write_atomically(str(tmp_path / "new"), b"x\n")
    files.write_atomically(str(tmp_path / "secret"), b"y\n", mode=0o600)
    assert (tmp_path / "new").read_bytes() == b"x\n"
    assert oct((tmp_path / "new").stat().st_mode & 0o777) == "0o644"
    assert oct((tmp_path / "secret").stat().st_mode & 0o777) == "0o600"


def test_an_existing_file_keeps_its_mode_unless_one_is_asked(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("{}\n")
    path.chmod(0o640)
    files.write_atomically(str(path), b'{"a": 1}\n')
    assert path.read_bytes() == b'{"a": 1}\n' and oct(path.stat().st_mode & 0o777) == "0o640"
    files.write_atomically(str(path), b"{}\n", mode=0o644)
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_a_failed_check_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text("{}\n")

    def refuse(temp):
        assert open(temp, "rb").read() == b"{broken"
        raise ValueError("not JSON")

    with pytest.raises(ValueError):
        files.write_atomically(str(path), b"{broken", check=refuse)
    assert path.read_text() == "{}\n" and sorted(p.name for p in tmp_path.iterdir()) == ["daemon.json"]
