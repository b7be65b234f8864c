# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_counts
type: aggregate
short_description: Count a play's tasks by what they cost (bench/run.sh only)
description:
  - At the end of a run, prints one line C(bench counts:) with the tasks that ran a module on the host
    (and the module runs, a loop counting one per item that was not skipped), the tasks that ran on the
    controller only (C(set_fact), C(assert), C(debug), includes, C(meta)), and the skipped ones.
  - An action plugin such as C(copy) or C(template) may run more than one module (C(stat) first); it counts
    as one module run here, so the figure is a lower bound of the module calls.
  - Not part of the collection (C(bench/) is in C(build_ignore)); C(bench/run.sh) enables it.
requirements:
  - enabled in C(callbacks_enabled), found through C(ANSIBLE_CALLBACK_PLUGINS)
"""

from ansible.plugins.callback import CallbackBase

# Actions that run on the controller and send no module to the host.
CONTROLLER_ACTIONS = frozenset((
    'add_host', 'assert', 'debug', 'fail', 'group_by', 'import_role', 'import_tasks', 'include',
    'include_role', 'include_tasks', 'include_vars', 'meta', 'pause', 'set_fact', 'set_stats',
    'validate_argument_spec',
))
PREFIXES = ('ansible.builtin.', 'ansible.legacy.')


def short_action(action):
    """The action's name without the ansible.builtin/ansible.legacy prefix."""
    for prefix in PREFIXES:
        if action.startswith(prefix):
            return action[len(prefix):]
    return action


def module_runs(task, result):
    """How many module runs a finished task made: one, or one per item of a loop that was not skipped."""
    if task.loop is not None or task.loop_with:
        return sum(1 for item in result.get('results', []) if not item.get('skipped'))
    return 1


class CallbackModule(CallbackBase):
    """Counts the tasks of a run by kind and prints them with the stats."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_counts'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.module_tasks = 0
        self.module_runs = 0
        self.controller_tasks = 0
        self.skipped_tasks = 0

    def _finished(self, result):
        task = result._task
        if short_action(task.action) in CONTROLLER_ACTIONS:
            self.controller_tasks += 1
        else:
            self.module_tasks += 1
            self.module_runs += module_runs(task, result._result)

    def v2_runner_on_ok(self, result):
        self._finished(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finished(result)

    def v2_runner_on_skipped(self, result):
        self.skipped_tasks += 1

    def v2_playbook_on_stats(self, stats):
        self._display.display(
            'bench counts: %d tasks ran a module (%d module runs), %d ran on the controller only, %d skipped'
            % (self.module_tasks, self.module_runs, self.controller_tasks, self.skipped_tasks))
