"""The proxy's environment (which may hold its password) goes only to the module that downloads.

An `environment:` puts each variable on the command line of the module it wraps (visible in `ps` during the
task) and in `-vvv` output, so no play and no task may carry one (issue 10, item 3). The two repositories'
downloads (the key, as wsl.cuda.pinned_key checks it, and the repository, with wsl.cuda.apt_repo_check's code)
happen in wsl.cuda.host_state: the site play's one read, or a role's own when it runs alone. Each gets the proxy
as that module's `proxy_env` option, which the module does not log; no fact but the proxy role's own holds it.
"""

from __future__ import annotations

import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# The tasks that download through the proxy: the two repositories, each with its key, and the site play's one read.
DOWNLOADS = {
    ("roles/docker_engine/tasks/validate.yml",
     "Check Docker's repository key against the pinned fingerprint, and the repository against the key"),
    ("roles/nvidia_repo/tasks/validate.yml",
     "Check NVIDIA's repository key against the pinned fingerprint, and every channel against the key"),
    ("roles/_common/tasks/validate_fail.yml", "Answer what the checks asked of the machine, in one read"),
}
DOWNLOADING_MODULES = ("wsl.cuda.pinned_key", "wsl.cuda.apt_repo_check", "wsl.cuda.host_state")


def _yaml_files(*tops):
    for top in tops:
        for root, _dirs, files in os.walk(os.path.join(REPO, top)):
            for name in files:
                if name.endswith((".yml", ".yaml")):
                    yield os.path.relpath(os.path.join(root, name), REPO)


def _tasks(*tops):
    """(path, task) for each task at the top of every task file under tops."""
    for path in _yaml_files(*tops):
        with open(os.path.join(REPO, path), encoding="utf-8") as handle:
            tasks = yaml.safe_load(handle)
        for task in tasks if isinstance(tasks, list) else []:
            if isinstance(task, dict):
                yield path, task


def _with_environment(node, path, found):
    if isinstance(node, dict):
        if "environment" in node:
            found.add((path, node.get("name")))
        for value in node.values():
            _with_environment(value, path, found)
    elif isinstance(node, list):
        for item in node:
            _with_environment(item, path, found)


def test_the_site_play_sets_no_environment():
    with open(os.path.join(REPO, "playbooks", "site.yml"), encoding="utf-8") as handle:
        plays = yaml.safe_load(handle)
    assert [play.get("name") for play in plays if "environment" in play] == []


def test_no_task_has_an_environment():
    found = set()
    for path in _yaml_files("roles", "playbooks"):
        with open(os.path.join(REPO, path), encoding="utf-8") as handle:
            _with_environment(yaml.safe_load(handle), path, found)
    assert found == set()


def test_only_the_downloads_get_the_proxy():
    found = set()
    for path, task in _tasks("roles", "playbooks"):
        for module in DOWNLOADING_MODULES:
            if "proxy_environment" in str(task.get(module, "")):
                assert task[module]["proxy_env"] == "{{ proxy_environment | default({}) }}"
                found.add((path, task.get("name")))
    assert found == DOWNLOADS


def test_the_proxy_fact_is_set_without_output():
    with open(os.path.join(REPO, "roles", "proxy", "tasks", "validate.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    setting = [task for task in tasks if "proxy_environment" in (task.get("ansible.builtin.set_fact") or {})]
    assert len(setting) == 1 and setting[0].get("no_log") is True


def test_no_other_fact_holds_the_proxy():
    """A fact is shown by -v and kept by a fact cache: only the proxy role's own (no_log) may hold its environment."""
    found = set((path, task.get("name")) for path, task in _tasks("roles", "playbooks")
                if "proxy_environment" in str(task.get("ansible.builtin.set_fact", "")))
    assert found == {("roles/proxy/tasks/validate.yml", "Tell the downloading tasks which proxy to use")}
