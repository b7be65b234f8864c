#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: report_file
short_description: Write a report (an output of a test run) in one call, creating its directory when missing
version_added: 0.1.0
description:
  - Writes O(content) to O(path) atomically, with mode O(mode), when the file does not hold it already.
  - Creates only the directories of O(path) that are missing, with mode C(0755). A directory that is there keeps its
    owner and mode (C(/tmp) keeps C(1777)), so no probe of the directory is needed before the write.
  - Meant for outputs such as the smoke test's JSON report, whose timestamp differs on every run; the caller
    decides whether writing one counts as a change (C(changed_when)).
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  path:
    description: The file to write.
    type: path
    required: true
  content:
    description: The file's text.
    type: str
    required: true
  mode:
    description: The file's mode (octal string).
    type: str
    default: "0644"
attributes:
  check_mode:
    support: full
    description: Reports whether the file would be written; writes nothing.
  diff_mode:
    support: none
    description: No diff is shown.
"""

EXAMPLES = r"""
- name: Write the JSON report
  wsl.cuda.report_file:
    path: /var/lib/wsl-cuda/nbody-report.json
    content: "{{ result | to_nice_json(indent=2) }}\n"
  changed_when: false
"""

RETURN = r"""
created_dirs:
  description: The directories that were (or in check mode would be) created.
  returned: always
  type: list
  elements: str
  sample: [/var/lib/wsl-cuda]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.wsl.cuda.plugins.module_utils import files


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            content=dict(type='str', required=True),
            mode=dict(type='str', default='0644'),
        ),
        supports_check_mode=True,
    )
    path, data = module.params['path'], to_bytes(module.params['content'])
    try:
        mode = int(module.params['mode'], 8)
    except ValueError:
        module.fail_json(msg='mode must be an octal string such as 0644, not %r' % module.params['mode'])
    planned = files.missing_directories(os.path.dirname(path))
    try:
        written, dirs = files.write_output(path, data, mode=mode, check_mode=module.check_mode)
    except OSError as error:
        module.fail_json(msg=str(error), created_dirs=planned)
    module.exit_json(changed=written, created_dirs=dirs)


if __name__ == '__main__':
    main()
