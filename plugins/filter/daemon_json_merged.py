# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: daemon_json_merged
author: wsl.cuda maintainers
version_added: 0.1.0
short_description: Docker's daemon configuration with a container runtime merged in
description:
  - What the module M(wsl.cuda.daemon_json) would write, from the configuration it returned as C(current), with
    the runtime O(name) under C(runtimes), C(features.cdi) with O(cdi_feature), C(default-runtime) set to O(name)
    with O(default_runtime) or removed where it names O(name) without it; every other key as it is.
  - The same code as the module (C(plugins/module_utils/daemon_json.py)), so that a play that read the file once
    calls the module again only when the result differs from C(current).
positional: _input
options:
  _input:
    description: The configuration as it is (a dict).
    type: dict
    required: true
  name:
    description: The runtime's name.
    type: str
    default: nvidia
  runtime:
    description: The runtime's entry under C(runtimes).
    type: dict
    default: {path: nvidia-container-runtime, args: []}
  default_runtime:
    description: Make O(name) Docker's default runtime.
    type: bool
    default: false
  cdi_feature:
    description: Set C(features.cdi) to V(true).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write daemon.json only when the runtime is missing
  wsl.cuda.daemon_json:
    path: /etc/docker/daemon.json
  when: (daemon_json.current | wsl.cuda.daemon_json_merged) != daemon_json.current
"""

RETURN = r"""
_value:
  description: The merged configuration.
  type: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.wsl.cuda.plugins.module_utils.daemon_json import merge


def daemon_json_merged(current, name='nvidia', runtime=None, default_runtime=False, cdi_feature=False):
    if not isinstance(current, Mapping):
        raise AnsibleFilterError('daemon_json_merged expects a dict, got %s' % type(current).__name__)
    if runtime is None:
        runtime = {'path': 'nvidia-container-runtime', 'args': []}
    return merge(dict(current), name, dict(runtime), default_runtime=bool(default_runtime), cdi_feature=bool(cdi_feature))


class FilterModule(object):
    """wsl.cuda filter for Docker's daemon configuration."""

    def filters(self):
        return {'daemon_json_merged': daemon_json_merged}
