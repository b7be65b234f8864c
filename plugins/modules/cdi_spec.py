#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cdi_spec
short_description: Check the CDI specification of a WSL GPU, and regenerate or remove it when it is stale
version_added: 0.1.0
description:
  - Reads the CDI specification at O(path) (JSON, or YAML when PyYAML is there) and checks that it can be trusted
    on this WSL distro. It must be of kind C(nvidia.com/gpu) with a device C(all), and name the device node
    C(/dev/dxg), C(libdxcore.so) (without it NVML fails inside containers, NVIDIA/nvidia-container-toolkit#1739),
    and the driver store's C(libcuda.so.1.1) and C(nvidia-smi) under C(/usr/lib/wsl/drivers/). Each of them, and
    every other path it names, must exist.
  - With O(state=refreshed) a spec that fails the check (or is missing, or that the installed podman cannot read) is
    regenerated with C(nvidia-ctk cdi generate --mode=wsl --format=json); when that fails too, the spec is removed
    so that it cannot break C(docker run --gpus) (moby/moby#51942).
  - Other specs of kind C(nvidia.com/gpu) in C(/etc/cdi) and C(/var/run/cdi) are moved aside (renamed to
    C(NAME.stale-TIME)), because a stale one would break containers and a current one would define
    C(nvidia.com/gpu=all) twice.
  - A podman older than 5.1 cannot read specs of C(cdiVersion) 0.7.0 (C(unknown field "additionalGids"),
    NVIDIA/nvidia-container-toolkit#1860). When one is installed and the toolkit is 1.19 or newer, the spec is
    generated with C(--feature-flag no-additional-gids-for-device-nodes), which keeps it below 0.7.0.
  - The same code (C(plugins/module_utils/cdi_spec.py)) runs at boot as C(/usr/local/sbin/wsl-cuda-cdi-refresh),
    installed by the role M(wsl.cuda.nvidia_container_toolkit).
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  path:
    description: The CDI specification.
    type: path
    default: /etc/cdi/nvidia.json
  state:
    description:
      - V(checked) only checks and reports. V(refreshed) also regenerates or removes the spec as described above.
    type: str
    choices: [checked, refreshed]
    default: checked
  generate:
    description:
      - With O(state=refreshed), regenerate an unusable spec. V(false) removes it instead (where the toolkit's
        C(nvidia-cdi-refresh.service) is what generates it).
    type: bool
    default: true
  force:
    description: With O(state=refreshed), regenerate even a usable spec (after the toolkit changed).
    type: bool
    default: false
  root:
    description: Prefix for every path the module reads and writes (the unit tests point it at a directory).
    type: path
    default: /
  podman_version:
    description: The installed podman's version; detected with C(podman --version) when not given. V("") means none.
    type: str
  toolkit_version:
    description: The installed toolkit's version; detected with C(nvidia-ctk --version) when not given.
    type: str
attributes:
  check_mode:
    support: full
    description: Reports whether the spec would be regenerated, removed or moved aside, and changes nothing.
  diff_mode:
    support: none
    description: No diff is shown.
notes:
  - Only O(root=/) makes sense with O(state=refreshed) on a host, since C(nvidia-ctk) writes the real paths.
"""

EXAMPLES = r"""
- name: Regenerate the CDI specification when a Windows driver update moved the driver store
  wsl.cuda.cdi_spec:
    path: /etc/cdi/nvidia.json
    state: refreshed
  register: cdi

- name: Check the specification the toolkit's nvidia-cdi-refresh.service wrote
  wsl.cuda.cdi_spec:
    path: /var/run/cdi/nvidia.json
"""

RETURN = r"""
action:
  description: What was (or in check mode would be) done to O(path).
  returned: always
  type: str
  choices: [checked, kept, regenerated, removed, failed]
  sample: regenerated
messages:
  description: What was done, one line each, as the boot-time refresh logs it.
  returned: always
  type: list
  elements: str
  sample: ["regenerated /etc/cdi/nvidia.json (it is stale: the driver store's libcuda.so.1.1 is gone: ...)"]
moved_aside:
  description: Other C(nvidia.com/gpu) specs renamed so that CDI no longer reads them.
  returned: always
  type: list
  elements: str
  sample: [/etc/cdi/nvidia.yaml.stale-20260101T000000]
spec:
  description: The check of O(path) after the action (before it in check mode).
  returned: always
  type: dict
  contains:
    ok:
      description: The spec can be trusted.
      type: bool
      sample: true
    exists:
      description: O(path) exists.
      type: bool
      sample: true
    cdi_version:
      description: The spec's C(cdiVersion).
      type: str
      sample: 0.5.0
    driver_stores:
      description: The driver store directories the spec names.
      type: list
      elements: str
      sample: [/usr/lib/wsl/drivers/nv_dispi.inf_amd64_3b8e3a2b3c1d7f0e]
    required:
      description: C(dxg), C(libdxcore), C(libcuda), C(nvidia_smi), each C({path, exists}).
      type: dict
      sample: {dxg: {path: /dev/dxg, exists: true}}
    missing:
      description: Every path the spec names that does not exist.
      type: list
      elements: str
      sample: []
    problems:
      description: Why the spec cannot be trusted, one line each.
      type: list
      elements: str
      sample: []
    additional_gids:
      description: The spec sets C(additionalGids) (a v0.7.0 feature).
      type: bool
      sample: false
    podman_min_version:
      description: The oldest podman that reads this C(cdiVersion), or C(null) when any podman with CDI does.
      type: str
      sample: "5.1"
podman_version:
  description: The podman version the decision used (C(null) when none is installed).
  returned: always
  type: str
  sample: podman version 5.4.2
feature_flags:
  description: The C(--feature-flag) values the spec is generated with.
  returned: always
  type: list
  elements: str
  sample: [no-additional-gids-for-device-nodes]
podman_message:
  description: Why the feature flags are set, or C(null).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils import cdi_spec


def _version(module, name, given):
    if given is not None:
        return given or None
    binary = module.get_bin_path(name)
    if not binary:
        return None
    rc, out, _err = module.run_command([binary, "--version"])
    return out.strip() if rc == 0 and out.strip() else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/cdi/nvidia.json"),
            state=dict(type="str", choices=["checked", "refreshed"], default="checked"),
            generate=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
            root=dict(type="path", default="/"),
            podman_version=dict(type="str"),
            toolkit_version=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    module.run_command_environ_update = dict(LANG="C", LC_ALL="C", LC_MESSAGES="C")
    params = module.params
    path, root = params["path"], params["root"]
    podman = _version(module, "podman", params["podman_version"])
    toolkit = _version(module, "nvidia-ctk", params["toolkit_version"])
    decision = cdi_spec.podman_decision(podman, toolkit)
    common = dict(podman_version=podman, feature_flags=decision["feature_flags"], podman_message=decision["message"])

    if params["state"] == "checked":
        spec = cdi_spec.check_file(path, root=root)
        module.exit_json(changed=False, action="checked", spec=spec, messages=[], moved_aside=[], **common)

    if module.check_mode:
        planned = cdi_spec.plan(path, podman if params["generate"] else None, toolkit, root=root, force=params["force"])
        others = cdi_spec.other_specs(path, root=root)
        messages = ["would move %s aside" % other for other, _result in others]
        if planned["regenerate"]:
            messages.append("would %s %s (%s)" % ("regenerate" if params["generate"] else "remove", path, planned["reason"]))
        module.exit_json(changed=bool(planned["regenerate"] or others),
                         action=("regenerated" if params["generate"] else "removed") if planned["regenerate"] else "kept",
                         spec=planned["before"], messages=messages, moved_aside=[], **common)

    binary = module.get_bin_path("nvidia-ctk") if params["generate"] else None
    if params["generate"] and not binary:
        module.fail_json(msg="nvidia-ctk is not installed: install the NVIDIA Container Toolkit (role wsl.cuda.nvidia_container_toolkit).")

    def run(argv):
        rc, out, err = module.run_command([binary] + argv[1:])
        return rc, (out or "") + (err or "")

    result = cdi_spec.refresh(path, run, lambda line: None, podman_version=podman, toolkit_version=toolkit, root=root,
                              force=params["force"], generate=params["generate"])
    after = result["after"] if result["after"] is not None else cdi_spec.check_file(path, root=root)
    module.exit_json(changed=result["action"] != "kept" or bool(result["moved_aside"]), action=result["action"],
                     spec=after, messages=result["messages"], moved_aside=result["moved_aside"], **common)


if __name__ == "__main__":
    main()
