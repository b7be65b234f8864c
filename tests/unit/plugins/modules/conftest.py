"""Drive a module's main() in-process: exit_json and fail_json raise, and the result is returned."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from ansible.module_utils import basic


class AnsibleExitJson(Exception):
    """main() ended with exit_json."""


class AnsibleFailJson(Exception):
    """main() ended with fail_json."""


def _exit_json(self, **kwargs):
    kwargs.setdefault('changed', False)
    raise AnsibleExitJson(kwargs)


def _fail_json(self, **kwargs):
    kwargs['failed'] = True
    raise AnsibleFailJson(kwargs)


def module_args(args):
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        args = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()
        return mock.patch.object(basic, '_ANSIBLE_ARGS', args)
    return patch_module_args(args)


@pytest.fixture
def run_module(monkeypatch):
    """run_module(main, args, fails=False): main()'s result, with the warnings under 'warnings'.

    The test fails unless main() ends with fail_json when fails is true, with exit_json otherwise.
    """
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', _fail_json)
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, msg: warnings.append(msg))

    def run(main, args, fails=False):
        with module_args(args):
            with pytest.raises(AnsibleFailJson if fails else AnsibleExitJson) as info:
                main()
        out = info.value.args[0]
        out['warnings'] = warnings
        return out
    return run
