# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wsl.cuda.apt_repo_check's main(): file:// repositories signed by gpg, as the test bed's mirrors."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import apt_repository
from ansible_collections.wsl.cuda.plugins.modules import apt_repo_check

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("gpgv") is None,
                                reason="gpg and gpgv are needed to sign and check test repositories")

PACKAGES = b"Package: docker-ce\nVersion: 5:27.3.1-1~debian.12~bookworm\n\nPackage: docker-ce\nVersion: 5:20.10.24~3-0~debian-bookworm\n"


@pytest.fixture
def mirror(tmp_path, gpg, keys):
    dists = tmp_path / "dists" / "bookworm"
    (dists / "stable" / "binary-amd64").mkdir(parents=True)
    (dists / "stable" / "binary-amd64" / "Packages").write_bytes(PACKAGES)
    text = ("SHA256:\n %s %d stable/binary-amd64/Packages\n" % (hashlib.sha256(PACKAGES).hexdigest(), len(PACKAGES))).encode()
    (dists / "InRelease").write_bytes(gpg.clearsign(keys["plain"], text))
    return tmp_path


def args(gpg, keys, url, **more):
    base = dict(key=gpg.export(keys["plain"]).decode(), fingerprint=keys["plain"],
                repositories=[url], indexes=["stable/binary-amd64/Packages"], variable="docker_engine_repo_url")
    base.update(more)
    return base


def test_usable_repository(run_module, gpg, keys, mirror):
    out = run_module(apt_repo_check.main, args(gpg, keys, "file://%s/dists/bookworm" % mirror, packages=["docker-ce"]))
    assert out["problems"] == [] and out["source_in_place"] is False
    assert out["versions"] == {"docker-ce": ["5:27.3.1-1~debian.12~bookworm", "5:20.10.24~3-0~debian-bookworm"]}


def test_unreachable_repository_names_the_variable_and_url(run_module, gpg, keys, mirror):
    url = "file://%s/dists/trixie/" % mirror
    out = run_module(apt_repo_check.main, args(gpg, keys, url), fails=True)
    assert len(out["problems"]) == 1
    assert out["problems"][0].startswith("docker_engine_repo_url: the repository at %s does not answer" % url)
    assert "nothing was written" in out["problems"][0]


def test_every_repository_is_reported(run_module, gpg, keys, mirror):
    repositories = ["not a url", dict(url="file://%s/missing/" % mirror, variable="nvidia_repo_channels")]
    out = run_module(apt_repo_check.main, args(gpg, keys, "", repositories=repositories, variable="nvidia_repo_base_url"), fails=True)
    assert [p.split(":")[0] for p in out["problems"]] == ["nvidia_repo_base_url", "nvidia_repo_channels"]
    assert "is not an http://, https:// or file:// URL" in out["problems"][0]


def test_source_in_place_is_not_fetched_again(run_module, gpg, keys, tmp_path):
    source = tmp_path / "docker.list"
    line = "deb [arch=amd64] file:///nowhere bookworm stable"
    source.write_text("# Ansible managed\n%s\n" % line)
    out = run_module(apt_repo_check.main, args(gpg, keys, "file:///nowhere/dists/bookworm/", source=str(source),
                                               source_lines=[line]))
    assert out["source_in_place"] is True
    out = run_module(apt_repo_check.main, args(gpg, keys, "file:///nowhere/dists/bookworm/", source=str(source),
                                               source_lines=[line + " extra"]), fails=True)
    assert out["source_in_place"] is False and "does not answer" in out["problems"][0]


def test_pinned_version_is_resolved_or_refused(run_module, gpg, keys, mirror):
    url = "file://%s/dists/bookworm" % mirror
    pin = dict(package="docker-ce", version="20.10.24", variable="docker_engine_version")
    out = run_module(apt_repo_check.main, args(gpg, keys, url, pins=[pin]))
    assert out["resolved"] == {"docker-ce": "5:20.10.24~3-0~debian-bookworm"}
    out = run_module(apt_repo_check.main, args(gpg, keys, url, pins=[dict(pin, version="99.0")]), fails=True)
    assert out["problems"][0].startswith("docker_engine_version '99.0' is not in the repository at %s/" % url)


def key_url_args(gpg, keys, tmp_path, url, key_file, **more):
    base = args(gpg, keys, url, **more)
    del base["key"]
    base.update(key_url="file://%s" % key_file, keyring=str(tmp_path / "keyring.asc"),
                fingerprint_option="docker_engine_repo_key_fingerprint")
    return base


def test_key_url_checks_the_key_and_the_repository_in_one_call(run_module, gpg, keys, mirror, tmp_path):
    key_file = tmp_path / "gpg"
    key_file.write_bytes(gpg.export(keys["plain"]))
    out = run_module(apt_repo_check.main, key_url_args(gpg, keys, tmp_path, "file://%s/dists/bookworm" % mirror, key_file,
                                                       packages=["docker-ce"]))
    assert out["problems"] == [] and out["key_fetched"] is True
    assert gpg.show_keys(out["key"].encode()) == [keys["plain"]]
    assert out["versions"]["docker-ce"][0] == "5:27.3.1-1~debian.12~bookworm"


def test_key_url_uses_the_keyring_in_place_without_fetching(run_module, gpg, keys, mirror, tmp_path):
    (tmp_path / "keyring.asc").write_bytes(gpg.export(keys["plain"]))
    out = run_module(apt_repo_check.main, key_url_args(gpg, keys, tmp_path, "file://%s/dists/bookworm" % mirror,
                                                       tmp_path / "missing-gpg"))
    assert out["key_fetched"] is False and out["problems"] == [] and out["key"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK")


def test_key_url_refuses_another_key_before_looking_at_the_repository(run_module, gpg, keys, mirror, tmp_path):
    key_file = tmp_path / "gpg"
    key_file.write_bytes(gpg.export(keys["rsa"]))
    out = run_module(apt_repo_check.main, key_url_args(gpg, keys, tmp_path, "file://%s/dists/bookworm" % mirror, key_file),
                     fails=True)
    assert "is not the pinned one" in out["msg"] and "docker_engine_repo_key_fingerprint = %s" % keys["plain"] in out["msg"]
    assert "repositories" not in out and out["fingerprints"] == [keys["rsa"]]


def test_key_and_key_url_exclude_each_other(run_module, gpg, keys, tmp_path):
    base = args(gpg, keys, "file:///nowhere", key_url="file:///nowhere/gpg")
    out = run_module(apt_repo_check.main, base, fails=True)
    assert "mutually exclusive" in out["msg"]


def test_setup_needed_is_what_apt_repository_would_do(run_module, gpg, keys, tmp_path, monkeypatch):
    """With setup, the check says whether wsl.cuda.apt_repository's call would change anything (its check mode)."""
    key = gpg.export(keys["plain"]).decode()
    keyring, source = tmp_path / "keyring.asc", tmp_path / "docker.list"
    line = "deb [arch=amd64 signed-by=%s] file:///nowhere bookworm stable" % keyring
    content = "# Ansible managed\n%s\n" % line
    base = args(gpg, keys, "file:///nowhere/dists/bookworm/", keyring=str(keyring), source=str(source),
                source_lines=[line], setup=dict(content=content, global_keyring=str(tmp_path / "trusted.gpg"),
                                                global_keyring_dir=str(tmp_path / "trusted.gpg.d")))
    # apt's lists of the source, which apt-get indextargets would name (apt's own state, not this module's).
    lists = {"present": True}
    monkeypatch.setattr(apt_repository, "lists_present", lambda run, path: lists["present"])
    keyring.write_text(key)
    source.write_text(content)
    out = run_module(apt_repo_check.main, base)
    assert out["source_in_place"] is True and out["setup_needed"] is False
    lists["present"] = False
    assert run_module(apt_repo_check.main, base)["setup_needed"] is True
    lists["present"] = True
    source.write_text(content + "# edited by hand\n")
    assert run_module(apt_repo_check.main, base)["setup_needed"] is True
    source.write_text(content)
    keyring.write_text(key + "\n")
    assert run_module(apt_repo_check.main, base)["setup_needed"] is True
    keyring.write_text(key)
    legacy = tmp_path / "nvidia-docker.list"
    legacy.write_text("deb https://nvidia.github.io/nvidia-docker/ubuntu18.04/$(ARCH) /\n")
    out = run_module(apt_repo_check.main, dict(base, setup=dict(base["setup"], remove_sources=[str(legacy)])))
    assert out["setup_needed"] is True
    assert legacy.exists() and source.read_text() == content, "the check writes and removes nothing"
    assert "setup_needed" not in run_module(apt_repo_check.main, dict(base, setup=None))


def test_setup_needs_the_keyring_and_the_source(run_module, gpg, keys):
    out = run_module(apt_repo_check.main, args(gpg, keys, "file:///nowhere", setup=dict(content="")), fails=True)
    assert "setup" in out["msg"] and "keyring" in out["msg"]
