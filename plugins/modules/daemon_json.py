#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: daemon_json
short_description: Merge a container runtime into Docker's daemon.json, keeping the user's own keys
version_added: 0.1.0
description:
  - Reads Docker's daemon configuration at O(path) and refuses, naming the file, one that is not a JSON object
    (Docker cannot read it either); such a file is never overwritten. A missing or empty file counts as C({}).
  - Registers the runtime O(name) under C(runtimes) (what C(nvidia-ctk runtime configure --runtime=docker) writes),
    turns C(features.cdi) on with O(cdi_feature), and makes O(name) C(default-runtime) with O(default_runtime), or
    removes a C(default-runtime) that names O(name) without it. Every other key of the user's stays as it is.
  - Writes the file only when that changes its content, atomically, with a backup of the old one (O(backup)).
    A file that is there keeps its mode and owner (a user's C(0600) stays C(0600)); a new one is C(0644), in a
    directory created C(0755) when missing.
  - The same parsing and merging (C(plugins/module_utils/daemon_json.py)) is the filter
    C(wsl.cuda.daemon_json_merged), so that a play that read the file once (RV(current)) can tell whether a write
    is needed without calling the module again.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  path:
    description: Docker's daemon configuration.
    type: path
    default: /etc/docker/daemon.json
  name:
    description: The runtime's name under C(runtimes).
    type: str
    default: nvidia
  runtime:
    description: The runtime's entry under C(runtimes); merged key by key into one that is there.
    type: dict
    default: {path: nvidia-container-runtime, args: []}
  default_runtime:
    description:
      - V(true) sets C(default-runtime) to O(name). V(false) removes C(default-runtime) only where it names O(name).
    type: bool
    default: false
  cdi_feature:
    description: Set C(features.cdi) to V(true) (Docker before 28.2 reads CDI specifications only with it).
    type: bool
    default: false
  backup:
    description: Keep the replaced file as C(NAME.PID.DATE~).
    type: bool
    default: true
  variable:
    description: The variable that names O(path), for the refusal's message.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads and checks the file and reports whether it would be written; writes nothing.
  diff_mode:
    support: full
    description: The file's text before and after.
notes:
  - Run in check mode it is a read-only check of the file that also returns RV(current).
"""

EXAMPLES = r"""
- name: Register the nvidia runtime with Docker
  wsl.cuda.daemon_json:
    path: /etc/docker/daemon.json
    cdi_feature: true
  notify: Restart docker

- name: Read and check daemon.json, changing nothing
  wsl.cuda.daemon_json:
    path: /etc/docker/daemon.json
    variable: nvidia_container_toolkit_daemon_json
  check_mode: true
  register: daemon_json
"""

RETURN = r"""
current:
  description: The configuration in the file before the module ran (C({}) when missing or empty).
  returned: success
  type: dict
  sample: {log-driver: json-file}
wanted:
  description: The configuration with the runtime merged in (what the file holds after the module ran).
  returned: success
  type: dict
  sample: {log-driver: json-file, runtimes: {nvidia: {path: nvidia-container-runtime, args: []}}}
exists:
  description: O(path) existed before the module ran.
  returned: success
  type: bool
  sample: true
mode:
  description: The file's mode before the module ran (C(null) when it did not exist), or the mode it was written with.
  returned: success
  type: str
  sample: "0600"
backup_file:
  description: The backup of the replaced file, when one was made.
  returned: changed
  type: str
  sample: /etc/docker/daemon.json.1234.2026-01-01@00:00:00~
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.wsl.cuda.plugins.module_utils import daemon_json, files


def _write(path, text):
    """The new daemon.json, parsed back before it replaces the old one (what `validate:` did with python3 -m
    json.tool); an existing file keeps its mode and owner, a new one is 0644."""
    files.make_directories(files.missing_directories(os.path.dirname(path)))

    def parse_back(temp):
        with open(temp, 'rb') as back:
            daemon_json.parse(to_text(back.read()), path)

    files.write_atomically(path, to_bytes(text), check=parse_back)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/docker/daemon.json'),
            name=dict(type='str', default='nvidia'),
            runtime=dict(type='dict', default={'path': 'nvidia-container-runtime', 'args': []}),
            default_runtime=dict(type='bool', default=False),
            cdi_feature=dict(type='bool', default=False),
            backup=dict(type='bool', default=True),
            variable=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    path = params['path']
    try:
        state = daemon_json.read(path, params['variable'])
    except daemon_json.DaemonJsonError as error:
        module.fail_json(msg=str(error), path=path)
    current, text, mode = state['current'], state['text'], state['mode']
    wanted = daemon_json.merge(current, params['name'], params['runtime'],
                               default_runtime=params['default_runtime'], cdi_feature=params['cdi_feature'])
    result = dict(changed=wanted != current, current=current, wanted=wanted, exists=state['exists'], mode=mode, path=path)
    if not result['changed']:
        module.exit_json(**result)
    after = daemon_json.dumps(wanted)
    if module._diff:
        result['diff'] = dict(before=text or '', after=after, before_header=path, after_header=path)
    if module.check_mode:
        module.exit_json(**result)
    if state['exists'] and params['backup']:
        result['backup_file'] = module.backup_local(path)
    try:
        _write(path, after)
    except (OSError, daemon_json.DaemonJsonError) as error:
        module.fail_json(msg='%s could not be written: %s' % (path, error), **result)
    result['mode'] = mode or '0644'
    module.exit_json(**result)


if __name__ == '__main__':
    main()
