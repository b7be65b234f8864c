#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apt_repository
short_description: One apt repository in one step, its keyring, its source and its own update
version_added: 0.2.0
description:
  - Writes the repository's keyring (O(key), already checked against its pin by M(wsl.cuda.pinned_key)) and its
    source file (O(content), which names that keyring in C(signed-by)), removes the source lists and the globally
    trusted keys of an earlier setup (O(remove_sources), O(remove_keys)), and runs C(apt-get update) of this one
    source when the keyring or the source changed or when apt holds no package lists of it (a run killed after
    writing the source). One call, one C(changed).
  - When nothing differs it writes nothing and runs no update; the lists are looked up with
    C(apt-get indextargets), which reads apt's own state and makes no network request.
  - When C(apt-get update) fails, the source and the keyring are put back as they were before the call (the previous
    files' contents are kept in memory, so no backup files are left in C(sources.list.d)), so that apt keeps working,
    and the module fails with apt's message and what became of the source.
  - Keys are taken out of apt-key's global keyring (O(global_keyring), a binary keyring) in pure Python, with no
    C(gpg); the keyring is removed when no key is left in it. A fragment in O(global_keyring_dir) is removed only
    when every key in it is one of O(remove_keys).
  - O(state=absent) removes the source and the keyring.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  state:
    description: Whether the repository is set up or removed.
    type: str
    choices: [present, absent]
    default: present
  key:
    description: The keyring's content, ASCII-armored (the C(key) that M(wsl.cuda.pinned_key) returns). Required with O(state=present).
    type: str
  keyring:
    description: The keyring the source names in C(signed-by).
    type: path
    required: true
  source:
    description: The apt source file.
    type: path
    required: true
  content:
    description: The source file's text. Required with O(state=present).
    type: str
  update:
    description: Run C(apt-get update) of this source alone when something changed or its lists are missing.
    type: bool
    default: true
  remove_sources:
    description: Source files of an earlier setup to remove (before the update).
    type: list
    elements: path
    default: []
  remove_keys:
    description: Primary-key fingerprints to take out of apt's global trust (O(global_keyring), O(global_keyring_dir)).
    type: list
    elements: str
    default: []
  global_keyring:
    description: apt-key's global keyring.
    type: path
    default: /etc/apt/trusted.gpg
  global_keyring_dir:
    description: The directory of globally trusted keyring fragments.
    type: path
    default: /etc/apt/trusted.gpg.d
attributes:
  check_mode:
    support: full
    description: Reports what would be written, removed and updated, and changes nothing.
  diff_mode:
    support: full
    description: Shows the source file before and after.
notes:
  - Runs on the target's Python standard library; C(apt-get) must be installed.
"""

EXAMPLES = r"""
- name: Set up Docker's apt repository
  wsl.cuda.apt_repository:
    key: "{{ docker_key.key }}"
    keyring: /etc/apt/keyrings/docker.asc
    source: /etc/apt/sources.list.d/docker.list
    content: |
      deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable

- name: Set up NVIDIA's repository, removing what the 2020 instructions left
  wsl.cuda.apt_repository:
    key: "{{ nvidia_key.key }}"
    keyring: /etc/apt/keyrings/nvidia-container-toolkit.asc
    source: /etc/apt/sources.list.d/nvidia-container-toolkit.list
    content: "{{ lookup('ansible.builtin.template', 'nvidia-container-toolkit.list.j2') }}"
    remove_sources: [/etc/apt/sources.list.d/nvidia-docker.list]
    remove_keys: [C95B321B61E88C1809C4F759DDCAE044F796ECB0]
"""

RETURN = r"""
keyring_changed:
  description: Whether the keyring was (or, in check mode, would be) written or removed.
  returned: always
  type: bool
source_changed:
  description: Whether the source was (or would be) written or removed.
  returned: always
  type: bool
updated:
  description: Whether C(apt-get update) of the source ran (in check mode, would run).
  returned: always
  type: bool
lists_present:
  description: Whether apt held the source's package lists before; C(null) when that was not looked up (something changed).
  returned: always
  type: bool
removed_sources:
  description: The O(remove_sources) that existed and were (or would be) removed.
  returned: always
  type: list
  elements: str
removed_keys:
  description: Each keyring that held keys of O(remove_keys), which of them, and whether the file itself went.
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/apt/trusted.gpg, fingerprints: [C95B321B61E88C1809C4F759DDCAE044F796ECB0], file_removed: true}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils import apt_repository


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            key=dict(type="str", no_log=False),
            keyring=dict(type="path", required=True, no_log=False),
            source=dict(type="path", required=True),
            content=dict(type="str"),
            update=dict(type="bool", default=True),
            remove_sources=dict(type="list", elements="path", default=[]),
            remove_keys=dict(type="list", elements="str", default=[], no_log=False),
            global_keyring=dict(type="path", default="/etc/apt/trusted.gpg", no_log=False),
            global_keyring_dir=dict(type="path", default="/etc/apt/trusted.gpg.d", no_log=False),
        ),
        required_if=[("state", "present", ["key", "content"])],
        supports_check_mode=True,
    )
    module.run_command_environ_update = dict(LANG="C", LC_ALL="C", LC_MESSAGES="C", DEBIAN_FRONTEND="noninteractive")

    def run(argv):
        return module.run_command(argv)

    try:
        result = apt_repository.apply(module.params, run, check_mode=module.check_mode)
    except apt_repository.RepositoryError as error:
        module.fail_json(msg=error.msg, **error.result)
    except OSError as error:
        module.fail_json(msg="Could not change %s: %s. Fix the cause and run the play again."
                         % (error.filename or module.params["source"], error.strerror or error))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
