"""wsl.cuda.pull_schedule_problems: what keeps the ansible-pull schedule from working. The role's task (its
mapping of the role's variables to the filter's keys) says, for every case, what the role's Jinja said before it
became the filter (fixtures/pull_schedule_problems_e14a23e.json)."""

from __future__ import annotations

import collections.abc
import json
import os
import re

import jinja2
import jinja2.nativetypes
import pytest
import yaml

from ansible_collections.wsl.cuda.plugins.filter import pull_schedule
from ansible_collections.wsl.cuda.plugins.filter.pull_schedule import pull_schedule_problems

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
with open(os.path.join(HERE, "fixtures", "pull_schedule_problems_e14a23e.json"), encoding="utf-8") as _handle:
    BEFORE = json.load(_handle)

ENV = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
ENV.filters.update({
    "bool": lambda value: value if isinstance(value, bool) else str(value).lower() in ("true", "yes", "1"),
    "regex_replace": lambda value, pattern, replacement="": re.sub(pattern, replacement, value),
    "wsl.cuda.pull_repo_url_problems": pull_schedule.pull_repo_url_problems,
    "wsl.cuda.control_character_problems": pull_schedule.control_character_problems,
    "wsl.cuda.root_only_write_problems": pull_schedule.root_only_write_problems,
    "wsl.cuda.pull_schedule_problems": pull_schedule_problems,
})


class _Scope(collections.abc.Mapping):
    """Variables rendered when first read, as Ansible's lazy variables are."""

    def __init__(self, raw):
        self._raw, self._done = raw, {}

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
    return value


def _role_task():
    with open(os.path.join(REPO, "roles", "pull_schedule", "tasks", "preflight.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    task = next(task for task in tasks if task["name"] == "Work out what the schedule lacks")
    return task["ansible.builtin.set_fact"]["__pull_schedule_problems"], task.get("vars", {})


def _stat(path, variable, exists=True, uid=0, mode="0600", isdir=False, parent=False):
    item = {"path": path, "variable": variable}
    if parent:
        item["parent"] = True
    stat = {"exists": exists}
    if exists:
        stat.update(uid=uid, mode=mode, isdir=isdir, pw_name="root" if uid == 0 else "user")
    return {"item": item, "stat": stat}


KEYRINGS = [{"path": "/etc/wsl-cuda/gnupg/pubring.kbx", "variable": "the keyring in pull_schedule_gpg_home"},
            {"path": "/etc/wsl-cuda/gnupg/pubring.gpg", "variable": "the keyring in pull_schedule_gpg_home"}]
GOOD = {
    "pull_schedule_repo_url": "git@git.example.com:it/wsl-cuda.git",
    "pull_schedule_extra_vars_file": "/etc/wsl-cuda/group_vars.yml",
    "pull_schedule_ansible_pull": "/usr/bin/ansible-pull",
    "pull_schedule_verify_commit": True,
    "pull_schedule_gpg_home": "/etc/wsl-cuda/gnupg",
    "pull_schedule_wsl_conf": "/etc/wsl.conf",
    "__pull_schedule_one_line": {"pull_schedule_repo_url": "git@git.example.com:it/wsl-cuda.git",
                                 "pull_schedule_on_calendar": "daily"},
    "__pull_schedule_found": ["/usr/bin/ansible-pull", "/usr/bin/git", "/usr/bin/gpg", "/usr/bin/systemd-analyze"],
    "__pull_schedule_trusted_stat": {"results": [
        _stat("/etc/wsl-cuda/group_vars.yml", "pull_schedule_extra_vars_file"),
        _stat("/etc/wsl-cuda", "the directory of pull_schedule_extra_vars_file", mode="0755", isdir=True, parent=True),
        _stat("/etc/wsl-cuda/gnupg", "pull_schedule_gpg_home", mode="0700", isdir=True),
        _stat(KEYRINGS[0]["path"], KEYRINGS[0]["variable"]),
        _stat(KEYRINGS[1]["path"], KEYRINGS[1]["variable"], exists=False),
    ]},
    "__pull_schedule_git_paths": ["/usr/bin/git", "/usr/local/bin/git"],
    "__pull_schedule_gpg_paths": ["/usr/bin/gpg"],
    "__pull_schedule_gpg_keyrings": KEYRINGS,
    "__pull_schedule_systemd_running": True,
    "__pull_schedule_systemd_at_boot": False,
    "__pull_schedule_systemd_installed": True,
    "__pull_schedule_analyzed": {"results": [{"rc": 0, "stderr": "", "item": ["calendar", "daily"]},
                                             {"rc": 0, "stderr": "", "item": ["timespan", "15min"]}]},
}
CASES = {
    "nothing_wrong": {},
    "empty_url": {"pull_schedule_repo_url": "  "},
    "token_in_url": {"pull_schedule_repo_url": "https://oauth2:glpat-secret@git.example.com/it/wsl-cuda.git"},
    "line_break": {"__pull_schedule_one_line": {"pull_schedule_on_calendar": "daily\nExecStartPre=/bin/sh"}},
    "no_tools": {"__pull_schedule_found": []},
    "no_git": {"__pull_schedule_found": ["/usr/bin/ansible-pull", "/usr/bin/gpg"]},
    "no_settings_file": {"__pull_schedule_trusted_stat": {"results": [
        _stat("/etc/wsl-cuda/group_vars.yml", "pull_schedule_extra_vars_file", exists=False)] + GOOD[
        "__pull_schedule_trusted_stat"]["results"][1:]}},
    "writable_settings": {"__pull_schedule_trusted_stat": {"results": [
        _stat("/etc/wsl-cuda/group_vars.yml", "pull_schedule_extra_vars_file", uid=1000, mode="0666")] + GOOD[
        "__pull_schedule_trusted_stat"]["results"][1:]}},
    "no_gpg_no_keyring": {"__pull_schedule_found": ["/usr/bin/ansible-pull", "/usr/bin/git"],
                          "__pull_schedule_trusted_stat": {"results": GOOD["__pull_schedule_trusted_stat"]["results"][:3]}},
    "not_verifying": {"pull_schedule_verify_commit": False, "__pull_schedule_found": ["/usr/bin/ansible-pull", "/usr/bin/git"],
                      "__pull_schedule_trusted_stat": {"results": []}, "pull_schedule_extra_vars_file": ""},
    "no_systemd_installed": {"__pull_schedule_systemd_running": False, "__pull_schedule_systemd_installed": False},
    "systemd_not_turned_on": {"__pull_schedule_systemd_running": False},
    "systemd_at_boot": {"__pull_schedule_systemd_running": False, "__pull_schedule_systemd_at_boot": True},
    "bad_calendar": {"__pull_schedule_analyzed": {"results": [
        {"rc": 1, "stderr": "Failed to parse calendar specification 'Mon..Fry': Invalid argument\n"},
        {"skipped": True, "rc": 1, "stderr": "ignored"}, {"rc": 0, "stderr": ""}]}},
    "not_analyzed": {"__pull_schedule_analyzed": {"results": [{"skipped": True}, {"skipped": True}]}},
    "everything": {"pull_schedule_repo_url": "", "__pull_schedule_found": [], "__pull_schedule_systemd_running": False,
                   "__pull_schedule_systemd_installed": False, "__pull_schedule_trusted_stat": {"results": []},
                   "__pull_schedule_analyzed": {"results": [{"rc": 1, "stderr": "bad"}, {"rc": 1, "stderr": ""}]}},
}


def _both(case):
    values = dict(GOOD, **CASES[case])
    before = _render(BEFORE["expression"], _Scope(dict(values, **BEFORE["vars"])))
    expression, task_vars = _role_task()
    now = _render(expression, _Scope(dict(values, **task_vars)))
    return before, now


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_role_says_what_it_said_before(case):
    before, now = _both(case)
    assert now == before


@pytest.mark.parametrize(
    "case, count, fragment",
    [
        ("nothing_wrong", 0, None),
        ("empty_url", 1, "pull_schedule_repo_url is empty."),
        ("no_tools", 2, "/usr/bin/ansible-pull and git not found"),
        ("no_git", 1, "git not found: the timer's service runs ansible-pull"),
        ("no_settings_file", 1, "/etc/wsl-cuda/group_vars.yml (pull_schedule_extra_vars_file) does not exist"),
        ("no_gpg_no_keyring", 2, "holds no public keyring"),
        ("not_verifying", 0, None),
        ("no_systemd_installed", 1, "is not installed, so nothing would ever start the timer"),
        ("systemd_not_turned_on", 1, "/etc/wsl.conf does not turn it on ([boot] systemd=true)"),
        ("systemd_at_boot", 0, None),
        ("bad_calendar", 1, "cannot parse pull_schedule_on_calendar or pull_schedule_randomized_delay: Failed to parse"),
        ("everything", 8, "pull_schedule_repo_url is empty."),
    ],
)
def test_problems(case, count, fragment):
    _before, now = _both(case)
    assert len(now) == count, now
    if fragment:
        assert any(fragment in problem for problem in now), now


def test_remedies_are_named():
    _before, now = _both("no_systemd_installed")
    assert "Remedy: sudo apt-get install -y systemd; set dockerd_startup_persist: systemd" in now[0]
    _before, now = _both("systemd_not_turned_on")
    assert "Remedy: set dockerd_startup_persist: systemd" in now[0]
