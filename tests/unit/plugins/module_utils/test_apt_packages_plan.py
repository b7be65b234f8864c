# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of wsl.cuda.apt_packages: dpkg's status, pins, the plan, apt's argv and messages."""

from __future__ import annotations

import os

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import apt_packages as ap

STATUS = """Package: docker-ce
Status: install ok installed
Priority: optional
Architecture: amd64
Version: 5:27.3.1-1~debian.12~bookworm
Description: Docker: the open-source application container engine
 Docker is a product for you to build, ship and run any application as a
 .
 Package: not-a-stanza
Conffiles:
 /etc/default/docker 1234

Package: docker.io
Status: deinstall ok config-files
Architecture: amd64
Version: 20.10.24+dfsg1-1+b3

Package: docker-compose-plugin
Status: install ok unpacked
Architecture: amd64
Version: 2.29.7-1~debian.12~bookworm

Package: libnvidia-container1
Status: deinstall ok not-installed
Architecture: i386
Version: 1.17.8-1

Package: libnvidia-container1
Status: install ok installed
Architecture: amd64
Version: 1.17.8-1

Package: podman-docker
Status: install ok half-configured
Architecture: all
Version: 4.3.1+ds1-8

Package: nvidia-container-toolkit-base
Status: hold ok installed
Architecture: amd64
Version: 1.17.8-1
"""


def pin(packages, version="", variable="docker_engine_version", **more):
    return dict(packages=packages, version=version, variable=variable, min_version=more.get("min_version", ""),
                min_version_reason=more.get("min_version_reason", ""))


@pytest.fixture
def status():
    return ap.parse_status(STATUS)


def test_parse_status_reads_stanzas_not_continuation_lines(status):
    assert set(status) == {"docker-ce", "docker.io", "docker-compose-plugin", "libnvidia-container1", "podman-docker",
                           "nvidia-container-toolkit-base"}
    assert status["docker-ce"] == {"status": "install ok installed", "version": "5:27.3.1-1~debian.12~bookworm",
                                   "architecture": "amd64"}


def test_parse_status_keeps_the_installed_architecture(status):
    assert status["libnvidia-container1"]["architecture"] == "amd64"
    assert ap.installed_version(status, "libnvidia-container1") == "1.17.8-1"


def test_parse_status_for_some_names_only():
    assert set(ap.parse_status(STATUS, {"docker-ce", "nothing"})) == {"docker-ce"}


def test_read_status_of_a_missing_file_is_empty(tmp_path):
    assert ap.read_status(str(tmp_path / "status")) == {}


@pytest.mark.parametrize("name, version", [
    ("docker-ce", "5:27.3.1-1~debian.12~bookworm"),
    ("docker.io", ""),              # config-files: removed
    ("docker-compose-plugin", ""),  # unpacked is not installed
    ("podman-docker", ""),
    ("nvidia-container-toolkit", ""),
    ("nvidia-container-toolkit-base", "1.17.8-1"),  # held (apt-mark hold): installed all the same
])
def test_installed_only_in_state_installed(status, name, version):
    assert ap.installed_version(status, name) == version


@pytest.mark.parametrize("name, present", [
    ("docker-ce", True), ("docker-compose-plugin", True), ("podman-docker", True),
    ("docker.io", False), ("nvidia-container-toolkit", False),
])
def test_what_there_is_to_remove(status, name, present):
    assert ap.is_present(status, name) is present


def test_a_held_package_at_its_pin_is_not_installed_again(status):
    """apt-mark hold must not make every run call apt: the held package is there at the pinned version."""
    pins = [pin(["nvidia-container-toolkit-base"], "1.17.8", variable="nvidia_container_toolkit_version")]
    assert ap.plan(status, ["nvidia-container-toolkit-base"], pins, []) == ([], [])


@pytest.mark.parametrize("wanted, version, matches", [
    ("27.3.1", "5:27.3.1-1~debian.12~bookworm", True),
    ("5:27.3.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm", True),
    ("27.3.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm", True),
    ("27.3", "5:27.3.1-1~debian.12~bookworm", False),
    ("27.3.10", "5:27.3.1-1~debian.12~bookworm", False),
    ("1.17.8", "1.17.8-1", True),
    ("1.17.8-1", "1.17.8-1", True),
    ("1.19.0", "1.19.0~rc.1-1", True),
    ("1.17.8", "1.18.0-1", False),
    ("1.17.8", "", False),
    ("", "1.17.8-1", False),
])
def test_pin_matching_as_the_roles_did(wanted, version, matches):
    assert ap.pin_matches(wanted, version) is matches


@pytest.mark.parametrize("version, minimum, older", [
    ("18.09", "19.03", True), ("5:18.09.1-1", "19.03", True), ("19.03", "19.03", False),
    ("20.10.24+dfsg1", "19.03", False), ("5:27.3.1-1~debian", "19.03", False), ("", "19.03", False),
])
def test_older_than(version, minimum, older):
    assert ap.older_than(version, minimum) is older


def test_nothing_to_do_when_dpkg_has_everything(status):
    assert ap.plan(status, ["libnvidia-container1"], [pin(["docker-ce"], "27.3.1")], ["docker.io", "nothing"]) == ([], [])


def test_plan_installs_missing_mismatched_and_half_installed(status):
    install, remove = ap.plan(status, ["docker-compose-plugin", "containerd.io"],
                              [pin(["docker-ce", "docker-ce-cli"], "28.0.1")], ["docker.io", "podman-docker", "docker-ce"])
    assert install == ["docker-compose-plugin", "containerd.io", "docker-ce", "docker-ce-cli"]
    # docker.io has only its configuration files left; docker-ce is wanted, never removed.
    assert remove == ["podman-docker"]


def test_unpinned_installed_package_is_left_as_it_is(status):
    assert ap.plan(status, [], [pin(["docker-ce"], "")], []) == ([], [])


def test_min_version_of_a_pin_is_refused_before_anything():
    pins = [pin(["docker-ce"], "18.09", min_version="19.03", min_version_reason="`docker run --gpus` needs Docker 19.03 or newer")]
    assert ap.min_version_problems(pins) == [
        "docker_engine_version '18.09' is older than 19.03, but `docker run --gpus` needs Docker 19.03 or newer."
        " Pick a newer version or set docker_engine_version to \"\" for the newest."]
    assert ap.min_version_problems([pin(["docker-ce"], "5:27.3.1-1", min_version="19.03")]) == []
    assert ap.min_version_problems([pin(["docker-ce"], "", min_version="19.03")]) == []


MADISON = """ docker-ce | 5:28.0.1-1~debian.12~bookworm | file:/srv/mirror/download.docker.com/linux/debian bookworm/stable amd64 Packages
 docker-ce | 5:27.3.1-1~debian.12~bookworm | file:/srv/mirror/download.docker.com/linux/debian bookworm/stable amd64 Packages
 docker-ce | 5:27.3.1-1~debian.12~bookworm | http://mirror.invalid/linux/debian bookworm/stable amd64 Packages
docker-ce-cli | 5:27.3.1-1~debian.12~bookworm | file:/srv/mirror bookworm/stable amd64 Packages
N: Unable to locate package nothing
"""


def test_parse_madison():
    assert ap.parse_madison(MADISON) == {
        "docker-ce": ["5:28.0.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm"],
        "docker-ce-cli": ["5:27.3.1-1~debian.12~bookworm"],
    }


def test_resolve_pins_against_the_first_package():
    available = ap.parse_madison(MADISON)
    specs, problems = ap.resolve_pins([pin(["docker-ce", "docker-ce-cli"], "27.3.1")], ["docker-ce-cli"], available)
    assert specs == {"docker-ce-cli": "5:27.3.1-1~debian.12~bookworm"} and problems == []


def test_resolve_pins_refuses_an_unavailable_version():
    available = ap.parse_madison(MADISON)
    specs, problems = ap.resolve_pins([pin(["docker-ce", "docker-ce-cli"], "99.0")], ["docker-ce"], available)
    assert specs == {}
    assert problems == [
        "docker_engine_version '99.0' is not available for docker-ce here. Available: 5:28.0.1-1~debian.12~bookworm,"
        " 5:27.3.1-1~debian.12~bookworm. Set docker_engine_version to one of them, or to \"\" for the newest."]


def test_resolve_pins_names_a_package_without_the_resolved_version():
    available = ap.parse_madison(MADISON)
    specs, problems = ap.resolve_pins([pin(["docker-ce", "docker-ce-cli"], "28.0.1")], ["docker-ce", "docker-ce-cli"], available)
    assert specs == {"docker-ce": "5:28.0.1-1~debian.12~bookworm"}
    assert problems[0].startswith("docker_engine_version '28.0.1' is not available for docker-ce-cli here. Available: 5:27.3.1")


def test_resolve_pins_with_no_versions_at_all():
    problems = ap.resolve_pins([pin(["docker.io"], "20.10")], ["docker.io"], {})[1]
    assert "Available: none (is the repository reachable?)." in problems[0]


def test_unknown_problem():
    assert ap.unknown_problem(["nvidia-container-toolkit"], "set up NVIDIA's repository first (role wsl.cuda.nvidia_repo)") == (
        "apt knows no nvidia-container-toolkit package: set up NVIDIA's repository first (role wsl.cuda.nvidia_repo).")
    assert ap.unknown_problem(["a", "b"], "") == "apt knows no a, b packages: add the apt source that provides them and run again."


def test_apt_get_argv_installs_and_removes_in_one_call():
    argv = ap.apt_get_argv("/usr/bin/apt-get", ["docker-ce", "containerd.io"], {"docker-ce": "5:27.3.1-1"}, ["docker.io"], True, 60)
    assert argv == ["/usr/bin/apt-get", "install", "-y", "-q", "-o", "Dpkg::Options::=--force-confdef",
                    "-o", "Dpkg::Options::=--force-confold", "-o", "DPkg::Lock::Timeout=60", "--allow-downgrades",
                    "docker-ce=5:27.3.1-1", "containerd.io", "docker.io-"]


def test_apt_get_argv_without_downgrades_and_for_removal_only():
    assert "--allow-downgrades" not in ap.apt_get_argv("apt-get", ["a"], {}, [], False, 60)
    argv = ap.apt_get_argv("apt-get", [], {}, ["docker.io"], True, 5)
    assert argv[1] == "remove" and argv[-1] == "docker.io" and "--allow-downgrades" not in argv


def test_apt_error_is_apts_own_words():
    assert ap.apt_error(100, "Reading package lists...", "W: something\nE: Unable to locate package foo\nE: bad") == (
        "E: Unable to locate package foo E: bad")
    assert ap.apt_error(1, "", "dpkg: error processing x\nmore") == "dpkg: error processing x more"
    assert ap.apt_error(2, "", "") == "rc 2"


def test_cache_age_from_the_first_stamp(tmp_path):
    stamp, lists = tmp_path / "stamp", tmp_path / "lists"
    lists.mkdir()
    os.utime(str(lists), (1000, 1000))
    assert ap.cache_age(5000, (str(stamp), str(lists))) == 4000
    stamp.write_text("")
    os.utime(str(stamp), (4000, 4000))
    assert ap.cache_age(5000, (str(stamp), str(lists))) == 1000
    assert ap.cache_age(5000, (str(tmp_path / "none"),)) is None


def test_apt_records_calls_and_raises_apts_error():
    calls = []

    def run(argv):
        calls.append(argv)
        return (100, "", "E: Could not get lock /var/lib/dpkg/lock-frontend") if argv[1] == "install" else (0, MADISON, "")
    apt = ap.Apt(run, "apt-get", "apt-cache", 30)
    assert apt.madison(["docker-ce"])["docker-ce-cli"] == ["5:27.3.1-1~debian.12~bookworm"]
    with pytest.raises(ap.AptError) as info:
        apt.install(["docker-ce"], {}, [], False)
    assert str(info.value) == "apt-get install failed (rc 100): E: Could not get lock /var/lib/dpkg/lock-frontend"
    assert apt.commands == calls and calls[0] == ["apt-cache", "madison", "docker-ce"]
