# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wsl.cuda.host_state's main(): files that are there, and package steps answered as wsl.cuda.apt_packages decides."""

from __future__ import annotations

import os

import pytest

from ansible.module_utils import basic

from ansible_collections.wsl.cuda.plugins.module_utils import apt_packages as ap
from ansible_collections.wsl.cuda.plugins.modules import apt_packages, host_state

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
