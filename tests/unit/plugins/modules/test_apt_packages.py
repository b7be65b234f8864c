# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wsl.cuda.apt_packages's main() against a dpkg status file and a fake apt (run_command is the seam)."""

from __future__ import annotations

import os
import time

import pytest

from ansible.module_utils import basic

from ansible_collections.wsl.cuda.plugins.module_utils import apt_packages as ap
from ansible_collections.wsl.cuda.plugins.modules import apt_packages

DOCKER = ["docker-ce", "docker-ce-cli", "containerd.io"]
CE = "5:27.3.1-1~debian.12~bookworm"
NEW = "5:28.0.1-1~debian.12~bookworm"


class FakeApt:
    """apt-cache madison, apt-get update and apt-get install/remove, acting on the status file."""

    def __init__(self, path, lists):
        self.path, self.calls, self.env = path, [], []
        self.lists = lists          # what apt-cache knows now
        self.after_update = lists   # what it knows after apt-get update
        self.fail = {}              # argv[1] -> (rc, stdout, stderr)
        self.installed = {}

    def write(self):
        stanzas = ["Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n" % item
                   for item in sorted(self.installed.items())]
        with open(self.path, "w") as handle:
            handle.write("\n".join(stanzas))

    def __call__(self, argv, environ_update=None, **kwargs):
        self.calls.append(list(argv))
        self.env.append(environ_update)
        verb = argv[1]
        if verb in self.fail:
            return self.fail[verb]
        if verb == "madison":
            return 0, "".join(" %s | %s | file:/srv/mirror stable Packages\n" % (name, version)
                              for name in argv[2:] for version in self.lists.get(name, [])), ""
        if verb == "update":
            self.lists = self.after_update
            return 0, "Reading package lists...", ""
        for arg in argv[2:]:
            if arg.startswith("-"):
                continue
            if verb == "remove" or arg.endswith("-"):
                self.installed.pop(arg.rstrip("-"), None)
            else:
                name, version = (arg.split("=", 1) + [""])[:2]
                self.installed[name] = version or self.lists[name][0]
        self.write()
        return 0, "Setting up ...", ""


@pytest.fixture
def apt(tmp_path, monkeypatch):
    status = tmp_path / "status"
    fake = FakeApt(str(status), {"docker-ce": [NEW, CE], "docker-ce-cli": [NEW, CE], "containerd.io": ["1.7.24-1"],
                                 "docker.io": ["20.10.24+dfsg1-1+b3"]})
    fake.write()
    lists = tmp_path / "lists"
    lists.mkdir()
    monkeypatch.setattr(ap, "DPKG_STATUS", str(status))
    monkeypatch.setattr(ap, "CACHE_STAMPS", (str(tmp_path / "stamp"), str(lists)))
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kwargs: fake(argv, **kwargs))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: "/usr/bin/" + name)
    fake.lists_dir = str(lists)
    return fake


def docker(**more):
    args = dict(packages=DOCKER, pins=[dict(packages=DOCKER[:2], version="27.3.1", variable="docker_engine_version",
                                            min_version="19.03", min_version_reason="`docker run --gpus` needs Docker 19.03 or newer")],
                absent=["docker.io", "podman-docker"], query=["moby-engine"], allow_downgrade=True)
    args.update(more)
    return args


def test_first_install_resolves_the_pin_and_installs_in_one_call(run_module, apt):
    out = run_module(apt_packages.main, docker())
    assert out["changed"] is True and out["installed"] == DOCKER and out["removed"] == []
    # The lists are fresh (just made): no apt-get update; one madison, one apt-get.
    assert [call[:2] for call in apt.calls] == [["/usr/bin/apt-cache", "madison"], ["/usr/bin/apt-get", "install"]]
    assert apt.calls[0][2:] == DOCKER
    assert apt.calls[1][-3:] == ["docker-ce=" + CE, "docker-ce-cli=" + CE, "containerd.io"]
    assert "--allow-downgrades" in apt.calls[1] and "Dpkg::Options::=--force-confold" in apt.calls[1]
    assert apt.env[1]["DEBIAN_FRONTEND"] == "noninteractive"
    assert out["versions"] == {"docker-ce": CE, "docker-ce-cli": CE, "containerd.io": "1.7.24-1", "docker.io": "",
                               "podman-docker": "", "moby-engine": ""}
    assert out["resolved"] == {"docker-ce": CE, "docker-ce-cli": CE}


def test_nothing_to_do_calls_no_apt(run_module, apt):
    apt.installed = {"docker-ce": CE, "docker-ce-cli": CE, "containerd.io": "1.7.24-1"}
    apt.write()
    out = run_module(apt_packages.main, docker())
    assert out["changed"] is False and apt.calls == [] and out["commands"] == []
    assert out["versions"]["docker-ce"] == CE


def test_check_mode_reports_from_dpkg_alone(run_module, apt):
    apt.installed = {"docker-ce": NEW, "docker-ce-cli": CE, "containerd.io": "1.7.24-1", "docker.io": "20.10"}
    apt.write()
    out = run_module(apt_packages.main, docker(_ansible_check_mode=True))
    assert out["changed"] is True and out["installed"] == ["docker-ce"] and out["removed"] == ["docker.io"]
    assert apt.calls == []
    assert out["versions"]["docker-ce"] == NEW


def test_check_mode_on_a_fresh_distro_without_lists(run_module, apt):
    apt.lists = {}
    out = run_module(apt_packages.main, docker(_ansible_check_mode=True, pins=[]))
    assert out["changed"] is True and out["installed"] == DOCKER and apt.calls == []


def test_downgrade_to_the_pin_and_removal_of_the_other_channel(run_module, apt):
    apt.installed = {"docker-ce": NEW, "docker-ce-cli": NEW, "containerd.io": "1.7.24-1", "podman-docker": "4.3"}
    apt.write()
    out = run_module(apt_packages.main, docker())
    assert out["installed"] == ["docker-ce", "docker-ce-cli"] and out["removed"] == ["podman-docker"]
    assert apt.calls[0][2:] == ["docker-ce", "docker-ce-cli"]
    assert apt.calls[1][-3:] == ["docker-ce=" + CE, "docker-ce-cli=" + CE, "podman-docker-"]
    assert out["versions"]["docker-ce"] == CE and out["versions"]["podman-docker"] == ""


def test_removal_only_runs_apt_get_remove_without_madison(run_module, apt):
    apt.installed = {"docker-ce": CE, "docker-ce-cli": CE, "containerd.io": "1.7.24-1", "docker.io": "20.10"}
    apt.write()
    out = run_module(apt_packages.main, docker())
    assert [call[1] for call in apt.calls] == ["remove"] and apt.calls[0][-1] == "docker.io"
    assert out["removed"] == ["docker.io"] and out["installed"] == [] and out["cache_updated"] is False


def test_stale_cache_is_updated_before_installing(run_module, apt):
    os.utime(apt.lists_dir, (time.time() - 90000,) * 2)
    out = run_module(apt_packages.main, docker())
    assert [call[1] for call in apt.calls] == ["update", "madison", "install"] and out["cache_updated"] is True


def test_unknown_package_updates_then_installs(run_module, apt):
    apt.after_update, apt.lists = apt.lists, {"docker.io": ["20.10"]}
    out = run_module(apt_packages.main, docker())
    assert [call[1] for call in apt.calls] == ["madison", "update", "madison", "install"]
    assert out["versions"]["docker-ce"] == CE


def test_unknown_package_after_update_is_refused_with_the_hint(run_module, apt):
    apt.lists = apt.after_update = {}
    out = run_module(apt_packages.main, dict(pins=[dict(packages=["nvidia-container-toolkit"], variable="nvidia_container_toolkit_version")],
                                             unknown_hint="set up NVIDIA's repository first (role wsl.cuda.nvidia_repo)"), fails=True)
    assert out["msg"] == ("apt knows no nvidia-container-toolkit package: set up NVIDIA's repository first"
                          " (role wsl.cuda.nvidia_repo). Nothing was installed or removed.")
    assert [call[1] for call in apt.calls] == ["madison", "update", "madison"]


def test_unavailable_pin_is_refused_before_apt_get_installs(run_module, apt):
    apt.installed = {"docker.io": "20.10"}
    apt.write()
    out = run_module(apt_packages.main, docker(pins=[dict(packages=DOCKER[:2], version="99.0", variable="docker_engine_version")]), fails=True)
    assert out["msg"].startswith("docker_engine_version '99.0' is not available for docker-ce here. Available: %s, %s." % (NEW, CE))
    assert out["msg"].endswith("Set docker_engine_version to one of them, or to \"\" for the newest. Nothing was installed or removed.")
    assert "install" not in [call[1] for call in apt.calls] and "remove" not in [call[1] for call in apt.calls]
    assert out["versions"]["docker.io"] == "20.10"


def test_pin_below_min_version_is_refused_before_any_call(run_module, apt):
    old = dict(packages=DOCKER[:2], version="18.09.1", variable="docker_engine_version",
               min_version="19.03", min_version_reason="`docker run --gpus` needs Docker 19.03 or newer")
    out = run_module(apt_packages.main, docker(pins=[old]), fails=True)
    assert out["msg"] == ("docker_engine_version '18.09.1' is older than 19.03, but `docker run --gpus` needs Docker 19.03 or newer."
                          " Pick a newer version or set docker_engine_version to \"\" for the newest.")
    assert apt.calls == []


def test_apt_get_failure_reports_apts_own_error(run_module, apt):
    apt.fail["install"] = (100, "Reading package lists...", "E: Sub-process /usr/bin/dpkg returned an error code (1)")
    out = run_module(apt_packages.main, docker(), fails=True)
    assert out["msg"] == ("apt-get install failed (rc 100): E: Sub-process /usr/bin/dpkg returned an error code (1)."
                          " Fix what apt says and run again.")
    assert out["rc"] == 100 and out["versions"]["docker-ce"] == ""


def test_failed_update_warns_and_installs_with_the_lists_apt_has(run_module, apt):
    os.utime(apt.lists_dir, (time.time() - 90000,) * 2)
    apt.fail["update"] = (100, "", "E: The repository 'http://broken.invalid bookworm Release' does not have a Release file.")
    out = run_module(apt_packages.main, docker())
    assert out["changed"] is True and out["versions"]["docker-ce"] == CE
    assert "apt-get update failed" in out["warnings"][0] and "broken.invalid" in out["warnings"][0]


def test_apt_that_does_not_do_its_job_is_reported(run_module, apt, monkeypatch):
    monkeypatch.setattr(FakeApt, "write", lambda self: None)
    out = run_module(apt_packages.main, dict(packages=["containerd.io"]), fails=True)
    assert out["msg"].startswith("apt-get succeeded, but dpkg's status still differs from what is wanted: containerd.io not installed")


def test_downgrade_not_allowed_is_left_to_apt(run_module, apt):
    apt.installed = {"docker-ce": NEW, "docker-ce-cli": NEW, "containerd.io": "1.7.24-1"}
    apt.write()
    run_module(apt_packages.main, docker(allow_downgrade=False))
    assert "--allow-downgrades" not in apt.calls[-1]


def test_install_failing_on_stale_lists_updates_once_and_tries_again(run_module, apt):
    failure = (100, "", "E: Unable to correct problems, you have held broken packages.\nThe following packages have unmet"
                        " dependencies: docker-ce : Depends: iptables but it is not installable")
    apt.fail["install"] = failure
    real_update = FakeApt.__call__

    def update_then_succeed(self, argv, **kwargs):
        if argv[1] == "update":
            self.fail.pop("install", None)
        return real_update(self, argv, **kwargs)
    FakeApt.__call__ = update_then_succeed
    try:
        out = run_module(apt_packages.main, docker())
    finally:
        FakeApt.__call__ = real_update
    assert [call[1] for call in apt.calls] == ["madison", "install", "update", "install"]
    assert out["cache_updated"] is True and out["versions"]["docker-ce"] == CE


def test_install_failing_for_another_reason_is_not_retried(run_module, apt):
    apt.fail["install"] = (100, "", "E: Sub-process /usr/bin/dpkg returned an error code (1)")
    run_module(apt_packages.main, docker(), fails=True)
    assert [call[1] for call in apt.calls] == ["madison", "install"]


def test_install_failing_on_stale_lists_after_an_update_is_not_retried(run_module, apt):
    os.utime(apt.lists_dir, (time.time() - 90000,) * 2)
    apt.fail["install"] = (100, "", "E: Failed to fetch file:/srv/mirror/pool/docker-ce.deb  File not found")
    out = run_module(apt_packages.main, docker(), fails=True)
    assert [call[1] for call in apt.calls] == ["update", "madison", "install"]
    assert "E: Failed to fetch" in out["msg"]
