# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wsl.cuda.host_state's main(): files that are there, and package steps answered as wsl.cuda.apt_packages decides."""

from __future__ import annotations

import os
import shutil

import pytest

from ansible.module_utils import basic

from ansible_collections.wsl.cuda.plugins.module_utils import apt_packages as ap
from ansible_collections.wsl.cuda.plugins.modules import apt_packages, apt_repo_check, host_state

DOCKER = ["docker-ce", "docker-ce-cli", "containerd.io"]
CE = "5:27.3.1-1~debian.12~bookworm"


def write_status(path, installed, extra=""):
    stanzas = ["Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n" % item
               for item in sorted(installed.items())]
    path.write_text("\n".join(stanzas) + extra)


@pytest.fixture
def status(tmp_path, monkeypatch):
    path = tmp_path / "status"
    write_status(path, {})
    monkeypatch.setattr(ap, "DPKG_STATUS", str(path))
    return path


@pytest.fixture
def no_apt(monkeypatch):
    """apt_packages must not call apt when nothing is to change: any call fails the test."""
    def refuse(self, argv, **kwargs):
        raise AssertionError("apt called: %s" % argv)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", refuse)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: "/usr/bin/" + name)


def docker_step(version="27.3.1"):
    return dict(packages=DOCKER, pins=[dict(packages=DOCKER[:2], version=version, variable="docker_engine_version",
                                            min_version="19.03", min_version_reason="")],
                absent=["docker.io"], query=[])


def test_paths_there_and_not(run_module, status, tmp_path):
    there, link = tmp_path / "there", tmp_path / "dangling"
    there.write_text("x")
    os.symlink(str(tmp_path / "nowhere"), str(link))
    out = run_module(host_state.main, dict(paths=[str(there), str(link), str(tmp_path / "missing")]))
    assert out["changed"] is False
    assert out["paths_exist"] == {str(there): True, str(link): True, str(tmp_path / "missing"): False}
    assert out["packages"] == {}


def test_a_converged_step_is_current_with_the_versions_apt_packages_returns(run_module, status, no_apt):
    write_status(status, {"docker-ce": CE, "docker-ce-cli": CE, "containerd.io": "1.7.24-1"})
    out = run_module(host_state.main, dict(packages=[dict(docker_step(), name="docker_engine")]))
    answer = out["packages"]["docker_engine"]
    assert answer["current"] is True and answer["installed"] == [] and answer["removed"] == []
    module = run_module(apt_packages.main, docker_step())
    assert module["changed"] is False and answer["versions"] == module["versions"]


@pytest.mark.parametrize("installed, version, install, remove", [
    # a package missing
    ({"docker-ce": CE, "docker-ce-cli": CE}, "27.3.1", ["containerd.io"], []),
    # the pin moved
    ({"docker-ce": CE, "docker-ce-cli": CE, "containerd.io": "1.7.24-1"}, "28.0", ["docker-ce", "docker-ce-cli"], []),
    # the other channel's package is there
    ({"docker-ce": CE, "docker-ce-cli": CE, "containerd.io": "1.7.24-1", "docker.io": "20.10.24"}, "27.3.1", [], ["docker.io"]),
])
def test_a_step_with_something_to_change_is_not_current(run_module, status, installed, version, install, remove):
    write_status(status, installed)
    answer = run_module(host_state.main, dict(packages=[dict(docker_step(version), name="d")]))["packages"]["d"]
    assert answer["current"] is False
    assert (answer["installed"], answer["removed"]) == (install, remove)


def test_a_half_configured_package_is_not_current(run_module, status):
    write_status(status, {"docker-ce-cli": CE, "containerd.io": "1.7.24-1"},
                 "\nPackage: docker-ce\nStatus: install ok half-configured\nArchitecture: amd64\nVersion: %s\n" % CE)
    answer = run_module(host_state.main, dict(packages=[dict(docker_step(), name="d")]))["packages"]["d"]
    assert answer["current"] is False and answer["installed"] == ["docker-ce"]


def test_a_pin_below_its_minimum_is_a_problem_not_current(run_module, status):
    write_status(status, {"docker-ce": "18.09.1", "docker-ce-cli": "18.09.1", "containerd.io": "1.7.24-1"})
    answer = run_module(host_state.main, dict(packages=[dict(docker_step("18.09"), name="d")]))["packages"]["d"]
    assert answer["current"] is False
    assert answer["problems"] and "docker_engine_version '18.09' is older than 19.03" in answer["problems"][0]


def test_several_steps_in_one_read(run_module, status):
    write_status(status, {"docker-ce": CE, "docker-ce-cli": CE, "containerd.io": "1.7.24-1"})
    toolkit = dict(name="toolkit", pins=[dict(packages=["nvidia-container-toolkit"], version="", variable="v")])
    out = run_module(host_state.main, dict(packages=[dict(docker_step(), name="docker"), toolkit]))
    assert out["packages"]["docker"]["current"] is True
    assert out["packages"]["toolkit"]["current"] is False
    assert out["packages"]["toolkit"]["installed"] == ["nvidia-container-toolkit"]
    assert out["packages"]["toolkit"]["versions"] == {"nvidia-container-toolkit": ""}


def test_repeated_step_names_are_refused(run_module, status):
    out = run_module(host_state.main, dict(packages=[dict(name="a"), dict(name="a")]), fails=True)
    assert "repeat: a" in out["msg"]


# Repository checks: wsl.cuda.apt_repo_check's own code, each answer by name, refusals as problems.
PACKAGES = b"Package: docker-ce\nVersion: 5:27.3.1-1~debian.12~bookworm\n"


@pytest.fixture
def mirror(tmp_path, gpg, keys):
    import hashlib

    dists = tmp_path / "mirror" / "dists" / "bookworm"
    (dists / "stable" / "binary-amd64").mkdir(parents=True)
    (dists / "stable" / "binary-amd64" / "Packages").write_bytes(PACKAGES)
    text = ("SHA256:\n %s %d stable/binary-amd64/Packages\n" % (hashlib.sha256(PACKAGES).hexdigest(), len(PACKAGES))).encode()
    (dists / "InRelease").write_bytes(gpg.clearsign(keys["plain"], text))
    (tmp_path / "mirror" / "gpg").write_bytes(gpg.export(keys["plain"]))
    return tmp_path / "mirror"


def repository(gpg, keys, tmp_path, mirror, name="docker_engine", **more):
    question = dict(name=name, key_url="file://%s/gpg" % mirror, keyring=str(tmp_path / ("%s.asc" % name)),
                    fingerprint=keys["plain"], fingerprint_option="docker_engine_repo_key_fingerprint",
                    repositories=["file://%s/dists/bookworm/" % mirror], indexes=["stable/binary-amd64/Packages"],
                    variable="docker_engine_repo_url")
    question.update(more)
    return question


needs_gpg = pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("gpgv") is None,
                               reason="gpg and gpgv are needed to sign and check test repositories")


@needs_gpg
def test_a_repository_is_checked_as_apt_repo_check_checks_it(run_module, gpg, keys, tmp_path, mirror):
    pin = dict(package="docker-ce", version="27.3.1", variable="docker_engine_version")
    question = repository(gpg, keys, tmp_path, mirror, pins=[pin])
    out = run_module(host_state.main, dict(repositories=[question]))
    alone = run_module(apt_repo_check.main, dict((k, v) for k, v in question.items() if k != "name"))
    answer = out["repositories"]["docker_engine"]
    assert out["problems"] == [] and answer["problems"] == []
    for key in ("key", "key_fetched", "versions", "resolved", "source_in_place"):
        assert answer[key] == alone[key], key
    assert answer["resolved"] == {"docker-ce": "5:27.3.1-1~debian.12~bookworm"}
    assert gpg.show_keys(answer["key"].encode()) == [keys["plain"]]


@needs_gpg
def test_a_source_and_key_in_place_are_answered_without_fetching(run_module, gpg, keys, tmp_path, mirror, monkeypatch):
    line = "deb [arch=amd64] file://%s bookworm stable" % mirror
    source = tmp_path / "docker.list"
    source.write_text("# Ansible managed\n%s\n" % line)
    (tmp_path / "docker_engine.asc").write_bytes(gpg.export(keys["plain"]))
    # Nothing may be fetched: the mirror's files are gone.
    for path in sorted(mirror.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    out = run_module(host_state.main, dict(repositories=[repository(gpg, keys, tmp_path, mirror, source=str(source),
                                                                    source_lines=[line])]))
    answer = out["repositories"]["docker_engine"]
    assert out["problems"] == [] and answer["source_in_place"] is True and answer["key_fetched"] is False


@needs_gpg
def test_refusals_are_problems_of_the_answer_not_a_failure(run_module, gpg, keys, tmp_path, mirror):
    other = tmp_path / "other.gpg"
    other.write_bytes(gpg.export(keys["rsa"]))
    wrong_key = repository(gpg, keys, tmp_path, mirror, name="nvidia_repo", key_url="file://%s" % other)
    missing = repository(gpg, keys, tmp_path, mirror, repositories=["file://%s/dists/trixie/" % mirror])
    fine = repository(gpg, keys, tmp_path, mirror, name="fine")
    out = run_module(host_state.main, dict(repositories=[wrong_key, missing, fine]))
    assert len(out["problems"]) == 2
    assert "is not the pinned one" in out["problems"][0] and "docker_engine_repo_key_fingerprint" in out["problems"][0]
    assert out["problems"][1].startswith("docker_engine_repo_url: the repository at file://%s/dists/trixie/ does not answer" % mirror)
    assert out["repositories"]["nvidia_repo"]["msg"] == out["problems"][0]
    assert out["repositories"]["docker_engine"]["problems"] == [out["problems"][1]]
    assert out["repositories"]["fine"]["problems"] == []


def test_a_repository_question_is_validated_as_the_module_validates_it(run_module, status):
    out = run_module(host_state.main, dict(repositories=[dict(name="r", fingerprint="x", repositories=[], variable="v")]),
                     fails=True)
    assert "key" in out["msg"] and "key_url" in out["msg"]
    out = run_module(host_state.main, dict(repositories=[dict(name="r", key="k", fingerprint="x", repositories=[],
                                                              variable="v")] * 2), fails=True)
    assert "Each entry of repositories needs its own name; these repeat: r" in out["msg"]


@needs_gpg
def test_the_proxy_is_set_for_the_checks_that_fetch(run_module, gpg, keys, tmp_path, mirror, monkeypatch):
    """proxy_env (the proxy role's fact) is set in the module's process for a check that fetches; it is not logged."""
    monkeypatch.delenv("https_proxy", raising=False)
    out = run_module(host_state.main, dict(repositories=[repository(gpg, keys, tmp_path, mirror)],
                                           proxy_env=dict(https_proxy="http://user:secret@proxy.invalid:3128")))
    assert out["problems"] == [] and out["repositories"]["docker_engine"]["key_fetched"] is True
    assert os.environ["https_proxy"] == "http://user:secret@proxy.invalid:3128"
    assert "secret" not in repr(out)


def test_daemon_json_is_read_as_the_daemon_json_module_reads_it(run_module, status, tmp_path):
    from ansible_collections.wsl.cuda.plugins.modules import daemon_json

    there, broken = tmp_path / "daemon.json", tmp_path / "broken.json"
    there.write_text('{"log-driver": "local", "runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}}')
    there.chmod(0o600)
    broken.write_text('{"log-driver": ')
    questions = [dict(name="there", path=str(there)), dict(name="missing", path=str(tmp_path / "none.json")),
                 dict(name="broken", path=str(broken), variable="nvidia_container_toolkit_daemon_json")]
    out = run_module(host_state.main, dict(daemon_json=questions))
    assert out["daemon_json"]["there"] == dict(current={"log-driver": "local", "runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}},
                                               exists=True, mode="0600")
    assert out["daemon_json"]["missing"] == dict(current={}, exists=False, mode=None)
    assert len(out["problems"]) == 1 and out["problems"][0] == out["daemon_json"]["broken"]["msg"]
    assert out["problems"][0].startswith("%s (nvidia_container_toolkit_daemon_json) is not a JSON object" % broken)
    same = run_module(daemon_json.main, dict(path=str(there), _ansible_check_mode=True))
    assert dict((key, same[key]) for key in ("current", "exists", "mode")) == out["daemon_json"]["there"]
    failed = run_module(daemon_json.main, dict(path=str(broken), variable="nvidia_container_toolkit_daemon_json"), fails=True)
    assert failed["msg"] == out["problems"][0], "the same refusal as the module's"


def test_dockerd_is_read_as_the_dockerd_status_module_reads_it(run_module, status, tmp_path, monkeypatch):
    from ansible_collections.wsl.cuda.plugins.module_utils import dockerd_status
    from ansible_collections.wsl.cuda.plugins.modules import dockerd_status as status_module

    monkeypatch.setattr(dockerd_status, "SCRIPT_OWNER", (os.getuid(), os.getgid()))
    root = tmp_path / "root"
    for path, text in (("var/run/docker.pid", "4242\n"), ("proc/4242/stat", "4242 (dockerd) S 1 4242 4242 0 -1\n"),
                       ("usr/bin/dockerd", ""), ("usr/local/sbin/wsl-cuda-dockerd", "#!/bin/sh\n"),
                       ("etc/wsl.conf", "[boot]\ncommand = /usr/local/sbin/wsl-cuda-dockerd start\n")):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "usr/local/sbin/wsl-cuda-dockerd").chmod(0o755)
    read = dict(root=str(root), script="/usr/local/sbin/wsl-cuda-dockerd", script_content="#!/bin/sh\n",
                wsl_conf="/etc/wsl.conf", wsl_conf_command="/usr/local/sbin/wsl-cuda-dockerd start")
    out = run_module(host_state.main, dict(dockerd=[dict(read, name="dockerd_startup"),
                                                    dict(read, name="other", script_content="#!/bin/sh\necho\n")]))
    answer = out["dockerd"]["dockerd_startup"]
    assert answer["dockerd"] == "/usr/bin/dockerd" and answer["pid"] == "4242" and answer["running"] is True
    assert answer["answers"] is False and answer["stale"] is False and answer["systemd_booted"] is False
    assert answer["script_current"] is True and answer["wsl_conf_current"] == {"present": True, "absent": False}
    assert out["dockerd"]["other"]["script_current"] is False
    same = run_module(status_module.main, read)
    assert dict((key, same[key]) for key in answer) == answer, "the same read as the module's"
    assert out["problems"] == [] and out["changed"] is False


def test_a_dockerd_question_is_validated_as_the_module_validates_it(run_module, status):
    out = run_module(host_state.main, dict(dockerd=[dict(name="dockerd_startup", script="/usr/local/sbin/x")]), fails=True)
    assert "script_content" in out["msg"]
    out = run_module(host_state.main, dict(dockerd=[dict(name="a"), dict(name="a")]), fails=True)
    assert out["msg"] == "Each entry of dockerd needs its own name; these repeat: a"
