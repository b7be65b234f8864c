"""Per-OS variables: vars/main.yml holds what the distributions share, the per-OS files only what differs,
loaded in the order of wsl.cuda._common's set_vars entry point; every distribution resolves to the values it
had when each role carried seven full per-OS files (fixtures/os_vars_before.json, computed from those files of
commit e14a23e with first_found over <distribution>_<major>, <distribution>, <os_family>, default)."""

from __future__ import annotations

import collections.abc
import json
import os

import jinja2
import jinja2.nativetypes
import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = os.path.join(REPO, "roles")
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "os_vars_before.json"),
          encoding="utf-8") as _handle:
    BEFORE = json.load(_handle)

ENV = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
ENV.filters["bool"] = lambda value: value if isinstance(value, bool) else str(value).lower() in ("true", "yes", "1")
# Lists that apt takes as one set (`state: absent` of all of them): their order is not a value.
UNORDERED = {("__docker_engine_channels", "docker", "conflicts"), ("__docker_engine_channels", "distro", "conflicts")}


def _load(*parts):
    with open(os.path.join(ROLES, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


class _Scope(collections.abc.Mapping):
    """The variables a template sees, each rendered when it is first read, as Ansible's lazy variables are."""

    def __init__(self, raw):
        self._raw = raw
        self._done = {}

    def __getitem__(self, name):
        if name not in self._done:
            self._done[name] = _render(self._raw[name], self)
        return self._done[name]

    def __iter__(self):
        return iter(self._raw)

    def __len__(self):
        return len(self._raw)


def _render(value, scope):
    if isinstance(value, str) and "{{" in value:
        template = ENV.from_string(value)
        return jinja2.nativetypes.native_concat(template.root_render_func(template.new_context(scope, shared=True)))
    if isinstance(value, dict):
        return {key: _render(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, scope) for item in value]
    return value


def _common_task(name):
    return next(task for task in _load("_common", "tasks", "set_vars.yml") if task["name"].startswith(name))


def _resolve(role, facts):
    """What set_vars.yml gives role on a host with these facts: the fact it sets, then vars/main.yml under
    the per-OS files that exist, in the entry point's order."""
    common = dict(_load("_common", "vars", "main.yml"), ansible_facts=facts)
    supported_task = _common_task("Note whether the collection supports")
    for name, expression in supported_task["ansible.builtin.set_fact"].items():
        common[name] = _render(expression, _Scope(common))
    raw = dict(common)
    raw.update(_load(role, "vars", "main.yml"))
    layers = []
    for item in _render(common["__common_vars_files"], _Scope(common)):
        path = os.path.join(ROLES, role, "vars", item)
        if os.path.isfile(path):
            layer = _load(role, "vars", item)
            layers.append((item, layer))
            raw.update(layer)
    return _Scope(raw), layers


def _normal(value, path=()):
    if isinstance(value, dict):
        return {key: _normal(item, path + (key,)) for key, item in value.items()}
    if isinstance(value, list) and path in UNORDERED:
        return sorted(value)
    return value


CASES = [(role, name) for role in sorted(BEFORE["roles"]) for name in sorted(BEFORE["roles"][role])]


@pytest.mark.parametrize(("role", "distribution"), CASES)
def test_values_as_before(role, distribution):
    scope, _layers = _resolve(role, BEFORE["facts"][distribution])
    before = BEFORE["roles"][role][distribution]["vars"]
    for name, value in before.items():
        assert _normal(scope[name], (name,)) == _normal(value, (name,)), "%s on %s: %s" % (role, distribution, name)


def test_supported_distributions_are_one_list():
    supported = _load("_common", "vars", "main.yml")["__common_supported_distributions"]
    assert supported == ["Debian", "Ubuntu"]
    for role in sorted(BEFORE["roles"]):
        for name, case in BEFORE["roles"][role].items():
            scope, _layers = _resolve(role, BEFORE["facts"][name])
            assert scope["__%s_supported" % role] is (BEFORE["facts"][name]["distribution"] in supported)
            assert scope["__%s_supported" % role] is case["vars"]["__%s_supported" % role]


@pytest.mark.parametrize(("role", "distribution"), CASES)
def test_per_os_files_hold_only_differences(role, distribution):
    # A per-OS file that repeats what the layer below it says is a copy. (A codename written out where
    # vars/main.yml reads it from the facts is not: it pins Docker's release whatever the facts say.)
    below = dict(_load(role, "vars", "main.yml"))
    _scope, layers = _resolve(role, BEFORE["facts"][distribution])
    for item, layer in layers:
        for name, value in layer.items():
            assert below.get(name) != value, "roles/%s/vars/%s repeats %s" % (role, item, name)
        below.update(layer)


def test_set_vars_is_one_entry_point():
    for role in sorted(BEFORE["roles"]):
        tasks = _load(role, "tasks", "set_vars.yml")
        assert [task["ansible.builtin.import_role"] for task in tasks] == [
            {"name": "wsl.cuda._common", "tasks_from": "set_vars"}]
        assert not os.path.exists(os.path.join(ROLES, role, "vars", "default.yml"))
