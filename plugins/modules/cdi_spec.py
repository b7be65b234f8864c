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
  toolkit_path:
    description:
      - The spec the toolkit's C(nvidia-cdi-refresh.service) writes. With it, the module also picks the refresher
        that keeps the spec current at boot, and with it the spec it checks (RV(active)), which is O(toolkit_path) when
        O(systemd) is true, O(toolkit_unit) exists and the toolkit package O(toolkit_package) (its version in dpkg's
        status) is O(toolkit_refresh_from) or newer, and O(path) otherwise.
      - With O(state=refreshed) it then installs O(refresh_lib) and O(refresh_script) and, with O(systemd), sets up
        that refresher's units (see O(unit_file)), all in this one call, and reports one C(changed).
    type: path
  systemd:
    description: systemd is PID 1 (wsl.cuda._common's C(__common_systemd_booted)).
    type: bool
    default: false
  toolkit_package:
    description: The package whose installed version (from O(dpkg_status)) decides whether the toolkit's unit works on WSL.
    type: str
    default: nvidia-container-toolkit-base
  dpkg_status:
    description: dpkg's status file.
    type: path
    default: /var/lib/dpkg/status
  toolkit_refresh_from:
    description: The first toolkit version whose C(nvidia-cdi-refresh.service) works on WSL (NVIDIA/nvidia-container-toolkit#1782).
    type: str
    default: 1.19.1
  toolkit_unit:
    description: The toolkit's C(nvidia-cdi-refresh.service) unit file.
    type: path
    default: /lib/systemd/system/nvidia-cdi-refresh.service
  toolkit_units:
    description: The toolkit's units, disabled and stopped where our unit refreshes instead.
    type: list
    elements: str
    default: [nvidia-cdi-refresh.path, nvidia-cdi-refresh.service]
  toolkit_env_file:
    description:
      - The environment file of C(nvidia-cdi-refresh.service), pointed at O(toolkit_path), C(--mode=wsl) and the
        podman fallback's feature flags where the toolkit refreshes.
    type: path
    default: /etc/nvidia-container-toolkit/nvidia-cdi-refresh.env
  toolkit_dropin:
    description: Our drop-in of C(nvidia-cdi-refresh.service), whose C(ExecStartPost) checks the spec it wrote.
    type: path
    default: /etc/systemd/system/nvidia-cdi-refresh.service.d/wsl-cuda.conf
  unit_file:
    description:
      - Our C(wsl-cuda-cdi-refresh.service), installed and enabled where the toolkit's unit does not work on WSL
        (the toolkit's units then disabled), and disabled and removed, with our spec O(path), where it does.
    type: path
    default: /etc/systemd/system/wsl-cuda-cdi-refresh.service
  refresh_lib:
    description: Where the module's own check and refresh (C(plugins/module_utils/cdi_spec.py)) is installed (C(0644)).
    type: path
  refresh_script:
    description: The boot-time refresh (C(0755)) that runs O(refresh_lib) on RV(active); needs O(refresh_lib).
    type: path
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
active:
  description: The spec that was checked, O(path) or O(toolkit_path) (see there).
  returned: always
  type: str
  sample: /etc/cdi/nvidia.json
toolkit_refreshes:
  description: The toolkit's C(nvidia-cdi-refresh.service) keeps the spec current at boot (only with O(toolkit_path)).
  returned: always
  type: bool
  sample: false
toolkit_package_version:
  description: The installed version of O(toolkit_package), or C(null) (only with O(toolkit_path)).
  returned: always
  type: str
  sample: 1.20.0-1
changed_files:
  description: The files of the refresh at boot that were (or would be) written or removed.
  returned: always
  type: list
  elements: str
  sample: [/usr/local/sbin/wsl-cuda-cdi-refresh]
changed_units:
  description: The units that were (or would be) enabled, disabled or stopped, as C(ACTION UNIT).
  returned: always
  type: list
  elements: str
  sample: [enable wsl-cuda-cdi-refresh.service]
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils import cdi_spec
from ansible_collections.wsl.cuda.plugins.module_utils import cdi_lifecycle


def _version(module, name, given):
    if given is not None:
        return given or None
    binary = module.get_bin_path(name)
    if not binary:
        return None
    rc, out, _err = module.run_command([binary, "--version"])
    return out.strip() if rc == 0 and out.strip() else None


def _own_source():
    """The text of plugins/module_utils/cdi_spec.py as this module carries it (a file, or in AnsiballZ's zip)."""
    try:
        with open(cdi_spec.__file__, "rb") as handle:
            return handle.read().decode("utf-8")
    except (IOError, OSError, TypeError):
        return cdi_spec.__loader__.get_source(cdi_spec.__name__)


class Units(object):
    """systemctl enable/disable/stop only where the state differs; in check mode only tells."""

    def __init__(self, module):
        self.module, self.changed = module, []
        self.systemctl = module.get_bin_path("systemctl", required=True)

    def _run(self, *args):
        rc, out, err = self.module.run_command([self.systemctl] + list(args))
        return rc, (out or "").strip(), (err or "").strip()

    def enabled(self, unit):
        rc, out, _err = self._run("is-enabled", unit)
        # As ansible.builtin.systemd: these states are not (permanently) enabled.
        return rc == 0 and out not in ("enabled-runtime", "indirect", "alias")

    def active(self, unit):
        return self._run("is-active", unit)[0] == 0

    def do(self, action, unit):
        self.changed.append("%s %s" % (action, unit))
        if self.module.check_mode:
            return
        rc, out, err = self._run(action, unit)
        if rc != 0:
            self.module.fail_json(msg="systemctl %s %s failed (rc %s): %s" % (action, unit, rc, err or out),
                                  changed_units=self.changed)

    def enable(self, unit):
        if not self.enabled(unit):
            self.do("enable", unit)

    def disable(self, unit, stop=False):
        if self.enabled(unit):
            self.do("disable", unit)
        if stop and self.active(unit):
            self.do("stop", unit)

    def daemon_reload(self):
        if not self.module.check_mode:
            rc, out, err = self._run("daemon-reload")
            if rc != 0:
                self.module.fail_json(msg="systemctl daemon-reload failed (rc %s): %s" % (rc, err or out))


def boot_files(params, files, active, toolkit_refreshes):
    """Install the refresh at boot: the shared code and the script that runs it on the active spec."""
    lib, script = params["refresh_lib"], params["refresh_script"]
    if lib:
        files.ensure(lib, _own_source(), 0o644)
    if script:
        runner = ("by nvidia-cdi-refresh.service (ExecStartPost, --no-generate)" if toolkit_refreshes
                  else "by %s" % os.path.basename(params["unit_file"]) if params["systemd"]
                  else "by WSL's boot command (/usr/local/sbin/wsl-cuda-dockerd start), before dockerd starts")
        files.ensure(script, cdi_lifecycle.script_text(lib or script + ".py", active, runner, script), 0o755)


def boot_units(module, params, files, toolkit_refreshes, unit_exists, feature_flags):
    """Under systemd, never two refreshers: the toolkit's where it works on WSL, ours otherwise."""
    units = Units(module)
    refresh = params["refresh_script"]
    ours = os.path.basename(params["unit_file"])
    before = len(files.changed)
    if toolkit_refreshes:
        env = params["toolkit_env_file"]
        files.ensure(env, cdi_lifecycle.env_text(files.read(env), [
            ("NVIDIA_CTK_CDI_OUTPUT_FILE_PATH", params["toolkit_path"]),
            ("NVIDIA_CTK_CDI_GENERATE_MODE", "wsl"),
            ("NVIDIA_CTK_CDI_GENERATE_FEATURE_FLAGS", ",".join(feature_flags)),
        ]), 0o644)
        files.ensure(params["toolkit_dropin"], cdi_lifecycle.dropin_text(refresh), 0o644)
        if files.exists(params["unit_file"]):
            units.disable(ours)
            files.remove(params["unit_file"])
        files.remove(params["path"])
    else:
        files.ensure(params["unit_file"], cdi_lifecycle.unit_text(refresh), 0o644)
    unit_files = [params["toolkit_dropin"], params["unit_file"]]
    if any(path in unit_files for path in files.changed[before:]):
        units.daemon_reload()
    if not module.check_mode:
        units.enable(os.path.basename(params["toolkit_unit"]) if toolkit_refreshes else ours)
    if not toolkit_refreshes and unit_exists:
        for unit in params["toolkit_units"]:
            units.disable(unit, stop=True)
    return units.changed


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
            toolkit_path=dict(type="path"),
            systemd=dict(type="bool", default=False),
            toolkit_package=dict(type="str", default="nvidia-container-toolkit-base"),
            dpkg_status=dict(type="path", default="/var/lib/dpkg/status"),
            toolkit_refresh_from=dict(type="str", default="1.19.1"),
            toolkit_unit=dict(type="path", default="/lib/systemd/system/nvidia-cdi-refresh.service"),
            toolkit_units=dict(type="list", elements="str", default=["nvidia-cdi-refresh.path", "nvidia-cdi-refresh.service"]),
            toolkit_env_file=dict(type="path", default="/etc/nvidia-container-toolkit/nvidia-cdi-refresh.env"),
            toolkit_dropin=dict(type="path", default="/etc/systemd/system/nvidia-cdi-refresh.service.d/wsl-cuda.conf"),
            unit_file=dict(type="path", default="/etc/systemd/system/wsl-cuda-cdi-refresh.service"),
            refresh_lib=dict(type="path"),
            refresh_script=dict(type="path"),
        ),
        required_by=dict(refresh_script=["refresh_lib"]),
        supports_check_mode=True,
    )
    module.run_command_environ_update = dict(LANG="C", LC_ALL="C", LC_MESSAGES="C")
    params = module.params
    root = params["root"]
    files = cdi_lifecycle.Files(root, module.check_mode)
    lifecycle = params["toolkit_path"] is not None
    package_version, unit_exists, toolkit_refreshes = None, False, False
    if lifecycle:
        package_version = cdi_lifecycle.dpkg_version(params["toolkit_package"], files.read(params["dpkg_status"]))
        unit_exists = files.exists(params["toolkit_unit"])
        toolkit_refreshes = cdi_lifecycle.by_toolkit(params["systemd"], unit_exists, package_version,
                                                     params["toolkit_refresh_from"])
    path = params["toolkit_path"] if toolkit_refreshes else params["path"]
    podman = _version(module, "podman", params["podman_version"])
    toolkit = _version(module, "nvidia-ctk", params["toolkit_version"])
    decision = cdi_spec.podman_decision(podman, toolkit)
    common = dict(podman_version=podman, feature_flags=decision["feature_flags"], podman_message=decision["message"],
                  active=path, toolkit_refreshes=toolkit_refreshes, toolkit_package_version=package_version)

    def finish(changed, **result):
        units = []
        if lifecycle and params["state"] == "refreshed":
            boot_files(params, files, path, toolkit_refreshes)
            if params["systemd"]:
                units = boot_units(module, params, files, toolkit_refreshes, unit_exists, decision["feature_flags"])
        result.update(common)
        module.exit_json(changed=changed or bool(files.changed or units), changed_files=files.changed,
                         changed_units=units, **result)

    if params["state"] == "checked":
        spec = cdi_spec.check_file(path, root=root)
        finish(False, action="checked", spec=spec, messages=[], moved_aside=[])

    if module.check_mode:
        planned = cdi_spec.plan(path, podman if params["generate"] else None, toolkit, root=root, force=params["force"])
        if lifecycle and package_version is None:
            # Check mode on a distro without the toolkit yet: a real run installs it first, then generates.
            finish(False, action="kept", spec=planned["before"], messages=[], moved_aside=[])
        others = cdi_spec.other_specs(path, root=root)
        messages = ["would move %s aside" % other for other, _result in others]
        if planned["regenerate"]:
            messages.append("would %s %s (%s)" % ("regenerate" if params["generate"] else "remove", path, planned["reason"]))
        finish(bool(planned["regenerate"] or others),
               action=("regenerated" if params["generate"] else "removed") if planned["regenerate"] else "kept",
               spec=planned["before"], messages=messages, moved_aside=[])

    binary = module.get_bin_path("nvidia-ctk") if params["generate"] else None
    if params["generate"] and not binary:
        module.fail_json(msg="nvidia-ctk is not installed: install the NVIDIA Container Toolkit (role wsl.cuda.nvidia_container_toolkit).")

    def run(argv):
        rc, out, err = module.run_command([binary] + argv[1:])
        return rc, (out or "") + (err or "")

    result = cdi_spec.refresh(path, run, lambda line: None, podman_version=podman, toolkit_version=toolkit, root=root,
                              force=params["force"], generate=params["generate"])
    after = result["after"] if result["after"] is not None else cdi_spec.check_file(path, root=root)
    finish(result["action"] != "kept" or bool(result["moved_aside"]), action=result["action"],
           spec=after, messages=result["messages"], moved_aside=result["moved_aside"])


if __name__ == "__main__":
    main()
