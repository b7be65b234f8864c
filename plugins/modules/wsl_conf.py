#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wsl_conf
short_description: Set or take out the [boot] command and systemd switch of WSL's /etc/wsl.conf
version_added: 0.1.0
description:
  - Reads O(path) as WSL does (C(src/shared/configfile/configfile.cpp) of microsoft/WSL), a gitconfig-style file
    of C([section]) headers and C(key = value) lines, with C(#) comments, values that may be quoted or escaped,
    and sections and keys matched without regard to case; where a key appears twice, WSL reads the first.
  - Only the lines that change are rewritten; the user's other sections, keys, blank lines and comments stay as
    they are. A new key goes right after the first C([boot]) header, or into a C([boot]) section added at the end.
  - With O(command_state=present), O(command) runs at boot. A command of the user's is kept and ours chained after
    it with C(; ) (WSL runs the value with C(/bin/sh -c)); a command that already holds ours is left alone.
  - With O(command_state=absent), every part of a C([boot] command) that is O(command) alone is taken out (the whole
    key when nothing else is left); the user's own parts stay.
  - With O(systemd=true), C([boot] systemd = true). The module never turns systemd off (it may be the user's).
  - One call, one C(changed); WSL reads the file when the distro starts, so a change needs C(wsl --shutdown).
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  path:
    description: WSL's per-distribution configuration.
    type: path
    default: /etc/wsl.conf
  command:
    description: The boot command of ours, e.g. C(/usr/local/sbin/wsl-cuda-dockerd start). Required with O(command_state).
    type: str
  command_state:
    description:
      - V(present) makes O(command) run at boot, V(absent) takes it out again; unset leaves the command alone.
    type: str
    choices: [present, absent]
  systemd:
    description: V(true) makes sure C([boot] systemd) is on. V(false) leaves the key as it is.
    type: bool
    default: false
  mode:
    description: The mode of a file the module creates; an existing file keeps its mode and owner.
    type: raw
    default: "0644"
attributes:
  check_mode:
    support: full
    description: Reports the change it would make and writes nothing.
  diff_mode:
    support: full
    description: The file before and after.
"""

EXAMPLES = r"""
- name: Start dockerd from WSL's boot command
  wsl.cuda.wsl_conf:
    command: /usr/local/sbin/wsl-cuda-dockerd start
    command_state: present

- name: Turn systemd on and take our boot command out again
  wsl.cuda.wsl_conf:
    command: /usr/local/sbin/wsl-cuda-dockerd start
    command_state: absent
    systemd: true
"""

RETURN = r"""
boot:
  description: C([boot] command) and C([boot] systemd) as WSL reads them after the change (C(null) when not set).
  returned: always
  type: dict
  sample: {command: "/usr/local/sbin/wsl-cuda-dockerd start", systemd: null}
messages:
  description: What changed (or would change), one line each.
  returned: always
  type: list
  elements: str
  sample: ["added [boot] command = \"/usr/local/sbin/wsl-cuda-dockerd start\""]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.wsl.cuda.plugins.module_utils import files, wsl_conf


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/wsl.conf"),
            command=dict(type="str"),
            command_state=dict(type="str", choices=["present", "absent"]),
            systemd=dict(type="bool", default=False),
            mode=dict(type="raw", default="0644"),
        ),
        required_by=dict(command_state=["command"]),
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    if params["command_state"] and not (params["command"] or "").strip():
        module.fail_json(msg="command must name the boot command with command_state=%s" % params["command_state"])
    exists = os.path.exists(path)
    if exists and not os.path.isfile(path):
        module.fail_json(msg="%s is not a regular file" % path)
    try:
        if exists:
            with open(path, "rb") as handle:
                before = to_text(handle.read(), errors="surrogate_or_strict")
        else:
            before = ""
    except (IOError, OSError, UnicodeError) as error:
        module.fail_json(msg="cannot read %s: %s" % (path, error))

    command = (params["command"] or "").strip() or None
    after, messages = wsl_conf.edit(before, command=command, command_state=params["command_state"],
                                    systemd=params["systemd"])
    changed = after != before
    result = dict(changed=changed, messages=messages, boot=wsl_conf.read(after))
    if changed and module._diff:
        result["diff"] = dict(before=before, after=after, before_header=path if exists else "%s (absent)" % path,
                              after_header=path)
    if changed and not module.check_mode:
        try:
            # An existing file keeps its mode and owner; a new one gets params["mode"].
            files.write_atomically(path, to_bytes(after, errors="surrogate_or_strict"))
            if not exists:
                module.set_mode_if_different(path, params["mode"], False)
        except (IOError, OSError) as error:
            module.fail_json(msg="cannot write %s: %s" % (path, error), messages=messages)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
