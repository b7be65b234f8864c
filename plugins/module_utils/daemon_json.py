# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Docker's daemon.json: parse it (refusing what Docker cannot read either) and merge a runtime into it.

Shared by the module wsl.cuda.daemon_json (which reads and writes the file on the host), the module
wsl.cuda.host_state (which reads it, with read(), in the site play's one read) and the filter
wsl.cuda.daemon_json_merged (which tells, from what was read, whether a write is needed at all).
Standard library only.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping


class DaemonJsonError(Exception):
    """The file is not a JSON object: Docker cannot read it, and it must not be overwritten."""


def problem(path, variable, reason):
    """The refusal, naming the file (and the variable that names it) and how to see the error."""
    named = '%s (%s)' % (path, variable) if variable else path
    return ('%s is not a JSON object, so Docker cannot read it either, and this role will not overwrite it: %s. '
            'Fix the file (`python3 -m json.tool %s` shows the error) and run again.' % (named, reason, path))


def parse(text, path, variable=None):
    """The configuration in text; {} for an empty file. Raises DaemonJsonError naming path."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise DaemonJsonError(problem(path, variable, str(error)))
    if not isinstance(value, dict):
        raise DaemonJsonError(problem(path, variable, 'the top level is not an object'))
    return value


def read(path, variable=None):
    """What the file holds now: {current, exists, mode, text} (mode and text None when it is not there). Raises
    DaemonJsonError when it cannot be read or is not a JSON object."""
    try:
        with open(path, 'rb') as handle:
            text = handle.read().decode('utf-8', 'surrogateescape')
            info = os.fstat(handle.fileno())
    except FileNotFoundError:
        return dict(current={}, exists=False, mode=None, text=None)
    except OSError as error:
        raise DaemonJsonError('%s cannot be read: %s' % (path, error))
    return dict(current=parse(text, path, variable), exists=True, mode='%04o' % stat.S_IMODE(info.st_mode), text=text)


def plain(value):
    """A copy of JSON-like data as plain dicts and lists. Not copy.deepcopy: the filter's input is ansible-core's
    lazy containers, and deep-copying one copies its templar and plugin loaders (slow, and from ansible-core 2.21
    a deprecation warning for every run)."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _combine(base, other):
    """ansible.builtin.combine(recursive=True): dicts merged key by key, anything else replaced."""
    result = plain(base)
    for key, value in other.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = _combine(result[key], value)
        else:
            result[key] = plain(value)
    return result


def merge(current, name, runtime, default_runtime=False, cdi_feature=False):
    """current with the runtime `name` registered, features.cdi on when asked, and default-runtime.

    Every other key of the user's stays. default_runtime true makes `name` Docker's default runtime;
    false removes default-runtime only where it names `name` (a user's own default stays).
    """
    wanted = _combine(current, {'runtimes': {name: runtime}})
    if cdi_feature:
        wanted = _combine(wanted, {'features': {'cdi': True}})
    if default_runtime:
        wanted['default-runtime'] = name
    elif wanted.get('default-runtime') == name:
        del wanted['default-runtime']
    return wanted


def dumps(value):
    """The file's text, as ansible.builtin.to_nice_json(indent=2) writes it, with a final line break."""
    return json.dumps(value, indent=2, sort_keys=True, separators=(',', ': '), ensure_ascii=False) + '\n'
