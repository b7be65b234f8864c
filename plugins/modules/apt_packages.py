#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apt_packages
short_description: Install and remove apt packages in one step, calling apt only when dpkg's status differs
version_added: 0.3.0
description:
  - Reads C(/var/lib/dpkg/status) itself (no python3-apt, no command) and compares it with what is wanted.
    A package counts as installed only with C(Status) C(install ok installed).
  - When every package of O(packages) and O(pins) is installed (at its pinned version) and none of O(absent)
    is there, the module reports no change and calls neither apt-cache nor apt-get.
  - Otherwise it runs a full C(apt-get update) when apt's cache is older than O(cache_valid_time) or apt knows
    no version of a package to install, resolves the pins against C(apt-cache madison), then installs and
    removes in one C(apt-get) call (C(pkg=version) to install, C(pkg-) to remove), without questions and
    keeping changed configuration files (C(--force-confdef --force-confold)), and reads dpkg's status again.
  - Every refusal (a pin older than its C(min_version), a pinned version apt does not have, a package apt
    does not know) comes before apt-get installs or removes anything, and names the variable to change.
  - An interrupted dpkg (apt refuses every install then) is completed before this module runs by the
    collection's roles (C(wsl.cuda._common), entry point C(dpkg)).
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  packages:
    description: Packages that must be installed, at any version (an installed one is left as it is).
    type: list
    elements: str
    default: []
  pins:
    description:
      - Groups of packages that must be installed at one version. Their packages are wanted as O(packages) are.
    type: list
    elements: dict
    default: []
    suboptions:
      packages:
        description: The packages; the version is resolved against the first one's versions.
        type: list
        elements: str
        required: true
      version:
        description:
          - The version, as C(apt-cache madison) lists it, without its epoch, or only the upstream version
            (C(27.3.1) matches C(5:27.3.1-1~debian.12~bookworm)); an installed version matches it as
            C(^([0-9]+:)?<version without epoch>([-~]|$)). The first version apt lists that matches is installed.
          - An exact version (as M(wsl.cuda.apt_repo_check) returns in C(resolved)) works the same.
          - V("") pins nothing (any version, the newest when installed).
        type: str
        default: ""
      variable:
        description: The variable the user sets to change O(pins[].version); every problem of the pin names it.
        type: str
        required: true
      min_version:
        description: The lowest upstream version the pin may name (C(19.03)); checked before anything else.
        type: str
        default: ""
      min_version_reason:
        description: Why, for the refusal (C(`docker run --gpus` needs Docker 19.03 or newer)).
        type: str
        default: ""
  absent:
    description:
      - Packages that must not be there; removed (their configuration files kept) when dpkg has them
        installed or left half-way. A package that is also wanted is not removed.
    type: list
    elements: str
    default: []
  query:
    description: Packages whose installed versions are only reported in RV(versions).
    type: list
    elements: str
    default: []
  allow_downgrade:
    description: Whether apt-get may install a pinned version older than the installed one (C(--allow-downgrades)).
    type: bool
    default: false
  cache_valid_time:
    description:
      - Before installing, a full C(apt-get update) runs when apt's cache is older than this many seconds (the
        age of C(/var/lib/apt/periodic/update-success-stamp), else of C(/var/lib/apt/lists), as
        M(ansible.builtin.apt) reads it); V(0) always updates before installing.
      - Whatever the age, it runs when apt knows no version of a package to install, and once when C(apt-get
        install) fails because the lists are missing or stale (a dependency from a source never fetched, a
        package file gone from the mirror), before one more try (the lists' age also moves when a role
        fetches one source's lists alone).
    type: int
    default: 86400
  unknown_hint:
    description:
      - What to do when apt knows no version of a wanted package, even after C(apt-get update)
        (C(set up NVIDIA's repository first (role wsl.cuda.nvidia_repo))).
    type: str
    default: ""
  lock_timeout:
    description: Seconds apt-get waits for dpkg's lock held by another apt (C(DPkg::Lock::Timeout)).
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: Reports what would be installed and removed from dpkg's status alone; calls no apt-cache, apt-get or dpkg.
  diff_mode:
    support: none
    description: No diff.
notes:
  - Needs no python3-apt; runs on the target's Python 3.9+ standard library.
  - A pinned package is not held; a later C(apt upgrade) may move it (C(apt-mark hold) if that matters).
"""

EXAMPLES = r"""
- name: Install Docker Engine at a pinned version, removing the distribution's Docker
  wsl.cuda.apt_packages:
    packages: [docker-ce, docker-ce-cli, containerd.io, docker-buildx-plugin, docker-compose-plugin]
    pins:
      - packages: [docker-ce, docker-ce-cli]
        version: "27.3.1"
        variable: docker_engine_version
        min_version: "19.03"
        min_version_reason: "`docker run --gpus` needs Docker 19.03 or newer"
    absent: [docker.io, docker-doc, docker-compose, podman-docker]
    allow_downgrade: true
  register: __docker_packages

- name: Install the NVIDIA Container Toolkit, newest
  wsl.cuda.apt_packages:
    pins:
      - packages: [nvidia-container-toolkit, nvidia-container-toolkit-base, libnvidia-container-tools, libnvidia-container1]
        version: ""
        variable: nvidia_container_toolkit_version
    unknown_hint: set up NVIDIA's repository first (role wsl.cuda.nvidia_repo)
"""

RETURN = r"""
versions:
  description:
    - The installed version of every package the module was told about (O(packages), O(pins), O(absent),
      O(query)), V("") for one not installed, after the run (in check mode, as it is now).
  returned: always
  type: dict
  sample: {docker-ce: "5:27.3.1-1~debian.12~bookworm", docker.io: ""}
installed:
  description: The packages installed, upgraded or downgraded (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [docker-ce, docker-ce-cli]
removed:
  description: The packages removed (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [docker.io]
resolved:
  description: The exact version each pinned package to install was installed at (empty when nothing was resolved).
  returned: always
  type: dict
  sample: {docker-ce: "5:27.3.1-1~debian.12~bookworm"}
cache_updated:
  description: Whether a full C(apt-get update) ran.
  returned: always
  type: bool
  sample: false
commands:
  description: The apt-cache and apt-get calls made, as argv lists (none when nothing had to change).
  returned: always
  type: list
  elements: list
  sample: [[apt-cache, madison, docker-ce], [apt-get, install, -y, -q, docker-ce=5:27.3.1-1~debian.12~bookworm]]
stdout:
  description: What the last apt-get call printed.
  returned: when apt-get ran
  type: str
  sample: "Setting up docker-ce (5:27.3.1-1~debian.12~bookworm) ..."
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils import apt_packages as ap


def main():
    module = AnsibleModule(
        argument_spec=dict(
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
            allow_downgrade=dict(type="bool", default=False),
            cache_valid_time=dict(type="int", default=86400),
            unknown_hint=dict(type="str", default=""),
            lock_timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    pins = ap.normal_pins(params["pins"])
    for pin in pins:
        if not pin["packages"]:
            module.fail_json(msg="A pin of %s names no packages." % pin["variable"])
    problems = ap.min_version_problems(pins)
    if problems:
        module.fail_json(msg=" ".join(problems), problems=problems)

    names = ap.wanted_names(ap.wanted_names(params["packages"], pins) + params["absent"] + params["query"], [])
    result = dict(changed=False, installed=[], removed=[], resolved={}, cache_updated=False, commands=[])

    def versions(status):
        return ap.decide(status, params["packages"], pins, params["absent"], params["query"])["versions"]

    status = ap.read_status(ap.DPKG_STATUS, set(names))
    install, remove = ap.plan(status, params["packages"], pins, params["absent"])
    if not install and not remove:
        module.exit_json(versions=versions(status), **result)
    result.update(changed=True, installed=install, removed=remove)
    if module.check_mode:
        module.exit_json(versions=versions(status), **result)

    def run(argv):
        return module.run_command(argv, environ_update=ap.APT_ENV)

    apt = ap.Apt(run, apt_get=module.get_bin_path("apt-get", required=True),
                 apt_cache=module.get_bin_path("apt-cache", required=True), lock_timeout=params["lock_timeout"])
    result["commands"] = apt.commands
    update_error = None

    def update():
        try:
            apt.update()
        except ap.AptError as exc:
            # An unrelated broken source must not stop the install; a package it hides is refused below.
            return str(exc)
        finally:
            result["cache_updated"] = True
        return None

    try:
        if install:
            age = ap.cache_age(time.time())
            if age is None or age >= params["cache_valid_time"]:
                update_error = update()
            heads = [pin["packages"][0] for pin in pins if pin["version"] and set(pin["packages"]) & set(install)]
            asked = ap.wanted_names(install + heads, [])
            available = apt.madison(asked)
            unknown = [name for name in asked if not available.get(name)]
            if unknown and not result["cache_updated"]:
                update_error = update()
                available = apt.madison(asked)
                unknown = [name for name in asked if not available.get(name)]
            if unknown:
                msg = ap.unknown_problem(unknown, params["unknown_hint"])
                if update_error:
                    msg += " (%s)" % update_error
                module.fail_json(msg=msg + " Nothing was installed or removed.", versions=versions(status), **result)
            specs, problems = ap.resolve_pins(pins, install, available)
            if problems:
                module.fail_json(msg=" ".join(problems) + " Nothing was installed or removed.", problems=problems,
                                 versions=versions(status), **result)
            result["resolved"] = specs
        else:
            specs = {}
        if update_error:
            module.warn("apt-get update failed, the install went on with the lists apt had: %s" % update_error)
        try:
            result["stdout"] = apt.install(install, specs, remove, params["allow_downgrade"])[0]
        except ap.AptError as exc:
            # apt resolves and downloads everything before dpkg changes anything: after a failure that says
            # the lists are stale (a dependency apt does not know, a file gone from the mirror), the host is
            # as it was, and one full update with one more try is what apt itself advises.
            if result["cache_updated"] or not install or not ap.stale_lists(exc.stdout, exc.stderr):
                raise
            update_error = update()
            if update_error:
                raise ap.AptError("apt-get install", exc.rc, exc.stdout, exc.stderr + "\n" + update_error)
            result["stdout"] = apt.install(install, specs, remove, params["allow_downgrade"])[0]
    except ap.AptError as exc:
        status = ap.read_status(ap.DPKG_STATUS, set(names))
        module.fail_json(msg="%s. Fix what apt says and run again." % exc, rc=exc.rc, stdout=exc.stdout,
                         stderr=exc.stderr, versions=versions(status), **result)

    status = ap.read_status(ap.DPKG_STATUS, set(names))
    left_install, left_remove = ap.plan(status, params["packages"], pins, params["absent"])
    if left_install or left_remove:
        differs = (["%s not installed as wanted" % ", ".join(left_install)] if left_install else []) + (
            ["%s still there" % ", ".join(left_remove)] if left_remove else [])
        module.fail_json(
            msg="apt-get succeeded, but dpkg's status still differs from what is wanted: %s. Look at apt's output"
                " (stdout) and `apt-cache policy %s`." % ("; ".join(differs), " ".join(left_install + left_remove)),
            versions=versions(status), **result)
    module.exit_json(versions=versions(status), **result)


if __name__ == "__main__":
    main()
