#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_state
short_description: Answer in one read what the roles' later steps would otherwise each ask the machine
version_added: 0.1.0
description:
  - Checks each entry of O(repositories) as M(wsl.cuda.apt_repo_check) checks it, with that module's code (so no
    network request when the key and the source are in place and no version is pinned); reads each of
    O(daemon_json) as M(wsl.cuda.daemon_json) reads it, with its code; tells which of O(paths) exist; and, for each
    entry of O(packages), what M(wsl.cuda.apt_packages) would install and remove, from dpkg's status file alone
    (with its code, before that module would call apt); and reads each of O(dockerd) as M(wsl.cuda.dockerd_status)
    reads it once, with its code.
  - A repository that M(wsl.cuda.apt_repo_check) would refuse, or a C(daemon.json) that M(wsl.cuda.daemon_json)
    would refuse, does not fail this module; the refusal is in RV(problems), for the caller's one refusal of every
    problem found.
  - The site play calls it once, after every role's check, with what the checks asked
    (wsl.cuda._common's C(validate_fail.yml)). A role then skips its own reads, its clean-up of files that are not
    there, and its package step when nothing is to install or remove. A role run on its own asks it its own
    repository check and C(daemon.json) read, and makes its own calls for the rest.
  - Read-only, so it runs the same in check mode.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  repositories:
    description:
      - Repository checks to answer, each with a O(repositories[].name) and the options of M(wsl.cuda.apt_repo_check).
      - They are checked before O(packages) are answered, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The key of this check's answer in RV(repositories).
        type: str
        required: true
      key:
        description: As the option key of M(wsl.cuda.apt_repo_check).
        type: str
      key_url:
        description: As the option key_url of M(wsl.cuda.apt_repo_check).
        type: str
      keyring:
        description: As the option keyring of M(wsl.cuda.apt_repo_check).
        type: path
      fingerprint_option:
        description: As the option fingerprint_option of M(wsl.cuda.apt_repo_check).
        type: str
        default: fingerprint
      hint:
        description: As the option hint of M(wsl.cuda.apt_repo_check).
        type: str
        default: ""
      fingerprint:
        description: As the option fingerprint of M(wsl.cuda.apt_repo_check).
        type: str
        required: true
      repositories:
        description: As the option repositories of M(wsl.cuda.apt_repo_check).
        type: list
        elements: raw
        required: true
      indexes:
        description: As the option indexes of M(wsl.cuda.apt_repo_check).
        type: list
        elements: str
        default: [Packages]
      variable:
        description: As the option variable of M(wsl.cuda.apt_repo_check).
        type: str
        required: true
      packages:
        description: As the option packages of M(wsl.cuda.apt_repo_check).
        type: list
        elements: str
        default: []
      pins:
        description: As the option pins of M(wsl.cuda.apt_repo_check).
        type: list
        elements: dict
        default: []
        suboptions:
          package:
            description: As the option pins[].package of M(wsl.cuda.apt_repo_check).
            type: str
            required: true
          version:
            description: As the option pins[].version of M(wsl.cuda.apt_repo_check).
            type: str
            default: ""
          variable:
            description: As the option pins[].variable of M(wsl.cuda.apt_repo_check).
            type: str
            required: true
      source:
        description: As the option source of M(wsl.cuda.apt_repo_check).
        type: path
      source_lines:
        description: As the option source_lines of M(wsl.cuda.apt_repo_check).
        type: list
        elements: str
        default: []
      setup:
        description: As the option setup of M(wsl.cuda.apt_repo_check).
        type: dict
        suboptions:
          content:
            description: As the option setup.content of M(wsl.cuda.apt_repo_check).
            type: str
            required: true
          remove_sources:
            description: As the option setup.remove_sources of M(wsl.cuda.apt_repo_check).
            type: list
            elements: path
            default: []
          remove_keys:
            description: As the option setup.remove_keys of M(wsl.cuda.apt_repo_check).
            type: list
            elements: str
            default: []
          global_keyring:
            description: As the option setup.global_keyring of M(wsl.cuda.apt_repo_check).
            type: path
            default: /etc/apt/trusted.gpg
          global_keyring_dir:
            description: As the option setup.global_keyring_dir of M(wsl.cuda.apt_repo_check).
            type: path
            default: /etc/apt/trusted.gpg.d
      proxy_env:
        description: As the option proxy_env of M(wsl.cuda.apt_repo_check).
        type: dict
        default: {}
      timeout:
        description: As the option timeout of M(wsl.cuda.apt_repo_check).
        type: int
        default: 30
      validate_certs:
        description: As the option validate_certs of M(wsl.cuda.apt_repo_check).
        type: bool
        default: true
  daemon_json:
    description:
      - Docker daemon configurations to read as M(wsl.cuda.daemon_json) reads them; one that cannot be read or is not
        a JSON object is a refusal in RV(problems), as that module's failure.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The key of this file's answer in RV(daemon_json).
        type: str
        required: true
      path:
        description: As the option path of M(wsl.cuda.daemon_json).
        type: path
        required: true
      variable:
        description: As the option variable of M(wsl.cuda.daemon_json).
        type: str
  proxy_env:
    description:
      - Proxy variables for the downloads of the repository checks that set no O(repositories[].proxy_env) of their own
        (as the fact C(proxy_environment) of the C(wsl.cuda.proxy) role), set in the module's own process only. Not logged.
    type: dict
    default: {}
  paths:
    description: Files to look for; a dangling link counts as there (it is something to remove).
    type: list
    elements: path
    default: []
  packages:
    description: Package steps to answer for, with the options of their M(wsl.cuda.apt_packages) call.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The key of this step's answer in RV(packages).
        type: str
        required: true
      packages:
        description: As the option packages of M(wsl.cuda.apt_packages).
        type: list
        elements: str
        default: []
      pins:
        description: As the option pins of M(wsl.cuda.apt_packages).
        type: list
        elements: dict
        default: []
        suboptions:
          packages:
            description: The packages that must be installed at O(packages[].pins[].version).
            type: list
            elements: str
            required: true
          version:
            description: The version (a prefix of one, with or without its epoch); empty pins nothing.
            type: str
            default: ""
          variable:
            description: The setting the version comes from.
            type: str
            required: true
          min_version:
            description: The lowest upstream version the pin may name.
            type: str
            default: ""
          min_version_reason:
            description: Why, for the problem's sentence.
            type: str
            default: ""
      absent:
        description: As the option absent of M(wsl.cuda.apt_packages).
        type: list
        elements: str
        default: []
      query:
        description: As the option query of M(wsl.cuda.apt_packages).
        type: list
        elements: str
        default: []
  dockerd:
    description:
      - How dockerd runs, each as M(wsl.cuda.dockerd_status) reads it (without its O(wsl.cuda.dockerd_status#module:wait)
        and log options). The caller uses the answer until something it ran since may have changed it (a package step).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The key of this answer in RV(dockerd).
        type: str
        required: true
      pidfile:
        description: As the option pidfile of M(wsl.cuda.dockerd_status).
        type: path
        default: /var/run/docker.pid
      socket:
        description: As the option socket of M(wsl.cuda.dockerd_status).
        type: path
        default: /var/run/docker.sock
      dockerd_paths:
        description: As the option dockerd_paths of M(wsl.cuda.dockerd_status).
        type: list
        elements: path
        default: [/usr/bin/dockerd, /usr/sbin/dockerd, /usr/local/bin/dockerd]
      script:
        description: As the option script of M(wsl.cuda.dockerd_status).
        type: path
      script_content:
        description: As the option script_content of M(wsl.cuda.dockerd_status). Required with O(dockerd[].script).
        type: str
      script_mode:
        description: As the option script_mode of M(wsl.cuda.dockerd_status).
        type: raw
        default: "0755"
      wsl_conf:
        description: As the option wsl_conf of M(wsl.cuda.dockerd_status). Needs O(dockerd[].wsl_conf_command).
        type: path
      wsl_conf_command:
        description: As the option wsl_conf_command of M(wsl.cuda.dockerd_status).
        type: str
      wsl_conf_systemd:
        description: As the option wsl_conf_systemd of M(wsl.cuda.dockerd_status).
        type: bool
        default: false
      root:
        description: As the option root of M(wsl.cuda.dockerd_status).
        type: path
        default: /
attributes:
  check_mode:
    support: full
    description: It changes nothing, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing to show.
"""

EXAMPLES = r"""
- name: Answer what the roles' checks asked
  wsl.cuda.host_state:
    repositories:
      - name: docker_engine
        key_url: https://download.docker.com/linux/debian/gpg
        keyring: /etc/apt/keyrings/docker.asc
        fingerprint: 9DC858229FC7DD38854AE2D88D81803C0EBFCD88
        repositories: [https://download.docker.com/linux/debian/dists/bookworm/]
        indexes: [stable/binary-amd64/Packages]
        variable: docker_engine_repo_url
    paths: [/etc/apt/apt.conf.d/80wsl-cuda-proxy]
    packages:
      - name: docker_engine
        packages: [docker-ce, docker-ce-cli, containerd.io]
        absent: [docker.io]
  register: answers
"""

RETURN = r"""
repositories:
  description:
    - For each entry of O(repositories), by its name, what M(wsl.cuda.apt_repo_check) returns (C(key), C(versions),
      C(resolved), C(source_in_place), C(setup_needed) ...), or what it fails with (C(msg), C(problems)).
  returned: always
  type: dict
  sample: {docker_engine: {key: "-----BEGIN PGP PUBLIC KEY BLOCK-----...", source_in_place: true, setup_needed: false, problems: []}}
daemon_json:
  description: For each entry of O(daemon_json), by its name, C(current) (the configuration, V({}) when there is none), C(exists) and C(mode).
  returned: always
  type: dict
  sample: {nvidia_container_toolkit: {current: {runtimes: {}}, exists: true, mode: "0644"}}
problems:
  description:
    - The refusals of O(repositories) in order (each check's problems, or its message), then those of O(daemon_json); empty
      when none.
  returned: always
  type: list
  elements: str
  sample: []
paths_exist:
  description: Each of O(paths) and whether it is there.
  returned: always
  type: dict
  sample: {/etc/apt/apt.conf.d/80wsl-cuda-proxy: false}
packages:
  description:
    - For each entry of O(packages), by its name, what M(wsl.cuda.apt_packages) would do now.
    - C(current) (nothing to install or remove, and no problem with the pins), C(installed) and C(removed) (what it
      would install and remove), C(problems) (its refusals of the pins), C(versions) (as that module returns them).
  returned: always
  type: dict
  sample: {docker_engine: {current: true, installed: [], removed: [], problems: [], versions: {docker-ce: "5:28.5.1-1~debian.12~bookworm"}}}
dockerd:
  description:
    - For each entry of O(dockerd), by its name, what M(wsl.cuda.dockerd_status) returns (C(systemd_booted), C(dockerd),
      C(pid), C(running), C(stale), C(answers), C(script_current), C(wsl_conf_current) ...), or C(msg) when an
      option cannot be read.
  returned: always
  type: dict
  sample: {dockerd_startup: {systemd_booted: false, dockerd: /usr/bin/dockerd, running: true, answers: true, script_current: true}}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils import apt_packages as ap
from ansible_collections.wsl.cuda.plugins.module_utils import apt_repo_check, daemon_json, dockerd_status


def answer(status, step):
    """One package step's answer, in the words of wsl.cuda.apt_packages's result."""
    decided = ap.decide(status, step["packages"], step["pins"], step["absent"], step["query"])
    return dict(current=not (decided["install"] or decided["remove"] or decided["problems"]),
                installed=decided["install"], removed=decided["remove"], problems=decided["problems"],
                versions=decided["versions"])


def checked(module, question):
    """One repository check's answer, and its refusal as a list of problems (empty when it passed)."""
    params = dict((name, value) for name, value in question.items() if name != "name")
    params["proxy_env"] = params["proxy_env"] or module.params["proxy_env"]
    try:
        return apt_repo_check.check(module, params), []
    except apt_repo_check.Refused as refused:
        return refused.result, refused.result.get("problems") or [refused.result["msg"]]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            repositories=dict(type="list", elements="dict", default=[],
                              options=dict(apt_repo_check.ARGUMENT_SPEC, name=dict(type="str", required=True)),
                              **apt_repo_check.CONSTRAINTS),
            daemon_json=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                path=dict(type="path", required=True),
                variable=dict(type="str"),
            )),
            proxy_env=dict(type="dict", default={}, no_log=True),
            paths=dict(type="list", elements="path", default=[]),
            packages=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                packages=dict(type="list", elements="str", default=[]),
                pins=dict(type="list", elements="dict", default=[], options=dict(
                    packages=dict(type="list", elements="str", required=True),
                    version=dict(type="str", default=""),
                    variable=dict(type="str", required=True),
                    min_version=dict(type="str", default=""),
                    min_version_reason=dict(type="str", default=""),
                )),
                absent=dict(type="list", elements="str", default=[]),
                query=dict(type="list", elements="str", default=[]),
            )),
            dockerd=dict(type="list", elements="dict", default=[],
                         options=dict(dockerd_status.READ_SPEC, name=dict(type="str", required=True)),
                         required_by=dockerd_status.READ_REQUIRED_BY),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for option in ("repositories", "daemon_json", "packages", "dockerd"):
        names = [entry["name"] for entry in params[option]]
        if len(set(names)) != len(names):
            module.fail_json(msg="Each entry of %s needs its own name; these repeat: %s"
                             % (option, ", ".join(sorted(set(name for name in names if names.count(name) > 1)))))
    result = dict(changed=False, repositories={}, daemon_json={}, problems=[], packages={}, dockerd={},
                  paths_exist=dict((path, os.path.lexists(path)) for path in params["paths"]))
    for question in params["repositories"]:
        result["repositories"][question["name"]], problems = checked(module, question)
        result["problems"].extend(problems)
    for question in params["daemon_json"]:
        try:
            state = daemon_json.read(question["path"], question["variable"])
            result["daemon_json"][question["name"]] = dict((key, state[key]) for key in ("current", "exists", "mode"))
        except daemon_json.DaemonJsonError as error:
            result["daemon_json"][question["name"]] = dict(msg=str(error))
            result["problems"].append(str(error))
    if params["packages"]:
        wanted = set(name for step in params["packages"]
                     for name in step["packages"] + step["absent"] + step["query"]
                     + [name for pin in step["pins"] for name in pin["packages"]])
        status = ap.read_status(ap.DPKG_STATUS, wanted)
        result["packages"] = dict((step["name"], answer(status, step)) for step in params["packages"])
    for question in params["dockerd"]:
        try:
            result["dockerd"][question["name"]] = dockerd_status.read(question)
        except ValueError as error:
            result["dockerd"][question["name"]] = dict(msg=str(error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
