# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wsl.cuda.input_problems against the roles' own argument specs and defaults."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.wsl.cuda.plugins.filter.validate import input_problems

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles")
SITE_ROLES = ["proxy", "nvidia_repo", "docker_engine", "nvidia_container_toolkit", "dockerd_startup", "nbody_smoke"]


def options(role):
    with open(os.path.join(ROLES, role, "meta", "argument_specs.yml")) as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def defaults(role):
    """The role's defaults, with the templated ones as ansible-core would give them on Debian."""
    with open(os.path.join(ROLES, role, "defaults", "main.yml")) as handle:
        values = yaml.safe_load(handle)
    templated = {
        "proxy_https": "",
        "docker_engine_repo_url": "https://download.docker.com/linux/debian",
        "docker_engine_repo_key_url": "https://download.docker.com/linux/debian/gpg",
        "nvidia_repo_key_url": "https://nvidia.github.io/libnvidia-container/gpgkey",
        "nbody_smoke_cdi": False,
    }
    return dict((name, templated.get(name, value)) for name, value in values.items())


@pytest.mark.parametrize("role", SITE_ROLES)
def test_defaults_are_usable(role):
    assert input_problems(defaults(role), options(role), role) == []


# One bad value for every public variable of every site-play role, and the variable its problem names.
BAD = [
    ("proxy", "proxy_http", "not a url"),
    ("proxy", "proxy_https", "ftp://proxy:21"),
    ("proxy", "proxy_no_proxy", "localhost"),
    ("proxy", "proxy_apt", "maybe"),
    ("proxy", "proxy_dockerd", [True]),
    ("nvidia_repo", "nvidia_repo_base_url", "not a url"),
    ("nvidia_repo", "nvidia_repo_key_url", "ftp://example.com/gpgkey"),
    ("nvidia_repo", "nvidia_repo_key_fingerprint", "C95B321B"),
    ("nvidia_repo", "nvidia_repo_channels", ["beta"]),
    ("docker_engine", "docker_engine_channel", "edge"),
    ("docker_engine", "docker_engine_repo_url", "not a url"),
    ("docker_engine", "docker_engine_repo_key_url", "/srv/gpg"),
    ("docker_engine", "docker_engine_repo_key_fingerprint", "0EBFCD88"),
    ("docker_engine", "docker_engine_version", 27.3),
    ("docker_engine", "docker_engine_users", "alice"),
    ("nvidia_container_toolkit", "nvidia_container_toolkit_version", ["1.17.8"]),
    ("nvidia_container_toolkit", "nvidia_container_toolkit_nvidia_docker2", "sometimes"),
    ("nvidia_container_toolkit", "nvidia_container_toolkit_default_runtime", {}),
    ("nvidia_container_toolkit", "nvidia_container_toolkit_daemon_json", "relative/daemon.json"),
    ("nvidia_container_toolkit", "nvidia_container_toolkit_cdi", "cdi"),
    ("dockerd_startup", "dockerd_startup_method", "init"),
    ("dockerd_startup", "dockerd_startup_timeout", 0),
    ("dockerd_startup", "dockerd_startup_log", "dockerd.log"),
    ("dockerd_startup", "dockerd_startup_pidfile", "docker.pid"),
    ("dockerd_startup", "dockerd_startup_persist", "cron"),
    ("dockerd_startup", "dockerd_startup_wsl_conf", "wsl.conf"),
    ("dockerd_startup", "dockerd_startup_iptables", "off"),
    ("nbody_smoke", "nbody_smoke_image", ""),
    ("nbody_smoke", "nbody_smoke_command", "nbody"),
    ("nbody_smoke", "nbody_smoke_args", ["-gpu"]),
    ("nbody_smoke", "nbody_smoke_num_bodies", -1),
    ("nbody_smoke", "nbody_smoke_image_archive", "nbody.tar"),
    ("nbody_smoke", "nbody_smoke_image_archive_sha256", "abc"),
    ("nbody_smoke", "nbody_smoke_image_digest", "latest"),
    ("nbody_smoke", "nbody_smoke_min_gflops", "fast"),
    ("nbody_smoke", "nbody_smoke_compare_cpu", "both"),
    ("nbody_smoke", "nbody_smoke_report", "report.json"),
    ("nbody_smoke", "nbody_smoke_cdi", "auto"),
    ("nbody_smoke", "nbody_smoke_nvml", 2),
    ("wsl_gpu", "wsl_gpu_root", "chroot"),
    ("wsl_gpu", "wsl_gpu_kernel_release", 5.15),
    ("wsl_gpu", "wsl_gpu_environ", {"PATH": ["/usr/bin"]}),
    ("wsl_gpu", "wsl_gpu_probe_cuda", "perhaps"),
    ("wsl_gpu", "wsl_gpu_fatal_checks", ["gpu"]),
]


@pytest.mark.parametrize("role, name, value", BAD, ids=["%s=%r" % (n, v) for _r, n, v in BAD])
def test_each_bad_value_is_named(role, name, value):
    values = defaults(role) if role != "wsl_gpu" else {}
    values[name] = value
    problems = input_problems(values, options(role) if role != "wsl_gpu" else None, role)
    assert len(problems) == 1, problems
    assert problems[0].startswith(name + " ")


def test_every_variable_of_every_site_role_has_a_bad_value():
    named = set(name for _role, name, _value in BAD)
    for role in SITE_ROLES:
        assert set(options(role)) <= named, role


def test_every_problem_at_once():
    values = dict(defaults("nbody_smoke"), nbody_smoke_report="r.json", nbody_smoke_num_bodies="many",
                  nbody_smoke_args=["-cpu"])
    problems = input_problems(values, options("nbody_smoke"), "nbody_smoke")
    assert [p.split(" ")[0] for p in problems] == [
        "nbody_smoke_num_bodies", "nbody_smoke_report", "nbody_smoke_args", "nbody_smoke_args"]


@pytest.mark.parametrize("value", ["https://mirror.example/docker", "http://10.0.0.1/d", "file:///srv/mirror/d"])
def test_fetchable_urls(value):
    values = dict(defaults("docker_engine"), docker_engine_repo_url=value)
    assert input_problems(values, options("docker_engine"), "docker_engine") == []


def test_proxy_values_are_never_shown():
    values = dict(defaults("proxy"), proxy_http="http://user:s3cret@proxy example:3128")
    problems = input_problems(values, options("proxy"), "proxy")
    assert problems and all("s3cret" not in p for p in problems)


@pytest.mark.parametrize("value", [True, "yes", "false", "0", 1])
def test_booleans_as_ansible_reads_them(value):
    values = dict(defaults("nbody_smoke"), nbody_smoke_nvml=value)
    assert input_problems(values, options("nbody_smoke"), "nbody_smoke") == []


def test_wsl_gpu_none_is_not_set_and_fatal_checks_may_be_empty():
    assert input_problems({"wsl_gpu_kernel_release": None, "wsl_gpu_fatal_checks": []}, None, "wsl_gpu") == []
    assert input_problems({"wsl_gpu_fatal_checks": ["wsl", "docker_desktop"]}, None, "wsl_gpu") == []


def test_archive_needs_its_checksum():
    values = dict(defaults("nbody_smoke"), nbody_smoke_image_archive="/srv/nbody.tar")
    problems = input_problems(values, options("nbody_smoke"), "nbody_smoke")
    assert problems == [problems[0]] and problems[0].startswith("nbody_smoke_image_archive is set but")


def test_unknown_role():
    with pytest.raises(AnsibleFilterError):
        input_problems({}, {}, "nope")


@pytest.mark.parametrize("role", SITE_ROLES + ["wsl_gpu"])
def test_all_bad_values_of_a_role_are_named_at_once(role):
    values = defaults(role) if role != "wsl_gpu" else {}
    wanted = set()
    for bad_role, name, value in BAD:
        if bad_role == role:
            values[name] = value
            wanted.add(name)
    problems = input_problems(values, options(role) if role != "wsl_gpu" else None, role)
    assert set(problem.split(" ")[0] for problem in problems) == wanted


def test_the_scenario_tries_the_same_bad_values():
    with open(os.path.join(ROLES, "..", "molecule", "bad_input", "molecule.yml")) as handle:
        scenario = yaml.safe_load(handle)
    tried = scenario["provisioner"]["inventory"]["group_vars"]["all"]["testbed_bad_values"]
    assert tried == dict((name, value) for _role, name, value in BAD)


def test_subclasses_of_the_types_are_named_as_the_types():
    class Tagged(str):
        pass
    problems = input_problems({"dockerd_startup_log": Tagged("d.log")}, options("dockerd_startup"), "dockerd_startup")
    assert problems == ['dockerd_startup_log must be an absolute path (it starts with /); got string "d.log".']
