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
  - Tells which of O(paths) exist, and for each entry of O(packages) what M(wsl.cuda.apt_packages) would install and
    remove, from dpkg's status file alone (the same code, before that module would call apt).
  - The site play calls it once, after every role's check, with what the checks asked
    (wsl.cuda._common's C(validate_fail.yml)); a role then skips its clean-up of files that are not there, and its
    package step when nothing is to install or remove. A role run on its own makes its own calls instead.
  - Read-only, so it runs the same in check mode.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
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
    paths: [/etc/apt/apt.conf.d/80wsl-cuda-proxy]
    packages:
      - name: docker_engine
        packages: [docker-ce, docker-ce-cli, containerd.io]
        absent: [docker.io]
  register: answers
"""

RETURN = r"""
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
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils import apt_packages as ap


def answer(status, step):
    """One package step's answer, in the words of wsl.cuda.apt_packages's result."""
    decided = ap.decide(status, step["packages"], step["pins"], step["absent"], step["query"])
    return dict(current=not (decided["install"] or decided["remove"] or decided["problems"]),
                installed=decided["install"], removed=decided["remove"], problems=decided["problems"],
                versions=decided["versions"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
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
        ),
        supports_check_mode=True,
    )
    params = module.params
    names = [step["name"] for step in params["packages"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="Each entry of packages needs its own name; these repeat: %s"
                         % ", ".join(sorted(set(name for name in names if names.count(name) > 1))))
    result = dict(changed=False, paths_exist=dict((path, os.path.lexists(path)) for path in params["paths"]),
                  packages={})
    if params["packages"]:
        wanted = set(name for step in params["packages"]
                     for name in step["packages"] + step["absent"] + step["query"]
                     + [name for pin in step["pins"] for name in pin["packages"]])
        status = ap.read_status(ap.DPKG_STATUS, wanted)
        result["packages"] = dict((step["name"], answer(status, step)) for step in params["packages"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
