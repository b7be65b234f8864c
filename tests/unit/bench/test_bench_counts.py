"""Unit tests of bench/callback_plugins/bench_counts.py, the task counts bench/run.sh prints per play."""

from __future__ import annotations

import importlib.util
import os
from types import SimpleNamespace

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
_SPEC = importlib.util.spec_from_file_location(
    "bench_counts", os.path.join(REPO, "bench", "callback_plugins", "bench_counts.py"))
bench_counts = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench_counts)


def _task(action, loop=None, loop_with=None):
    return SimpleNamespace(action=action, loop=loop, loop_with=loop_with)


def _result(task, result=None):
    return SimpleNamespace(_task=task, _result=result or {})


@pytest.mark.parametrize("action, short", [
    ("ansible.builtin.set_fact", "set_fact"),
    ("ansible.legacy.command", "command"),
    ("set_fact", "set_fact"),
    ("wsl.cuda.wsl_gpu", "wsl.cuda.wsl_gpu"),
])
def test_short_action(action, short):
    assert bench_counts.short_action(action) == short


def test_module_runs_counts_the_items_of_a_loop_that_ran():
    task = _task("ansible.builtin.file", loop=["/a", "/b", "/c"])
    assert bench_counts.module_runs(task, {"results": [{}, {"skipped": True}, {"changed": True}]}) == 2
    assert bench_counts.module_runs(_task("ansible.builtin.user", loop_with="items"), {"results": [{}]}) == 1
    assert bench_counts.module_runs(_task("ansible.builtin.apt"), {"results": ["not a loop"]}) == 1


def test_callback_counts_by_kind_and_prints_one_line():
    lines = []
    callback = bench_counts.CallbackModule()
    callback._display = SimpleNamespace(display=lines.append)
    callback.v2_runner_on_ok(_result(_task("ansible.builtin.gather_facts")))
    callback.v2_runner_on_ok(_result(_task("wsl.cuda.pinned_key")))
    callback.v2_runner_on_failed(_result(_task("ansible.builtin.command")), ignore_errors=True)
    callback.v2_runner_on_ok(_result(_task("ansible.builtin.copy", loop=[1, 2]), {"results": [{}, {}]}))
    callback.v2_runner_on_ok(_result(_task("ansible.builtin.set_fact")))
    callback.v2_runner_on_ok(_result(_task("assert")))
    callback.v2_runner_on_ok(_result(_task("ansible.builtin.include_tasks")))
    callback.v2_runner_on_skipped(_result(_task("ansible.builtin.apt")))
    callback.v2_runner_on_skipped(_result(_task("ansible.builtin.debug")))
    callback.v2_playbook_on_stats(None)
    assert lines == ["bench counts: 4 tasks ran a module (5 module runs), 3 ran on the controller only, 2 skipped"]
