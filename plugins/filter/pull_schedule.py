# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pull_repo_url_problems
short_description: What the ansible-pull schedule (C(wsl.cuda.pull_schedule)) must refuse in its settings
version_added: 0.2.0
author: wsl.cuda maintainers
description:
  - C(pull_repo_url_problems) checks C(pull_schedule_repo_url). Only C(https://host/path), C(ssh://[user@]host[:port]/path)
    and the scp-like C([user@]host:path) are accepted, without a password or token in the URL (it would land in the
    unit file, in C(systemctl show), in C(ps) and in the checkout's C(.git/config)).
  - C(control_character_problems) (in this file too) takes a dictionary of variable names and their values (strings,
    or lists of strings) and names each value that holds a line break or another control character, which could
    add a directive to a systemd unit.
  - C(root_only_write_problems) (in this file too) takes the results of an C(ansible.builtin.stat) loop over
    C({path, variable, parent}) items (C(variable) names what set the path; C(parent) marks the directory a file
    is in, which the remedy does not change), and names each path that is not owned by root or that group or
    others may write. root's ansible-pull reads these files (extra vars may hold lookups, which run as root).
  - C(pull_schedule_problems) (in this file too) takes a dictionary of the role's settings and what its preflight
    found (the programs, the stat results of the trusted paths, systemd, the C(systemd-analyze) results) and returns
    every problem in the order the role reports it, the three above included.
  - Each returns a list of sentences with their remedy; an empty list means there is nothing to refuse.
  - C(wsl_conf_systemd_at_boot) (in this file too) takes the text of C(/etc/wsl.conf) and says whether WSL starts
    systemd with it, read as WSL reads it (C(plugins/module_utils/wsl_conf.py), shared with C(wsl.cuda.wsl_conf)).
positional: _input
options:
  _input:
    description: The repository URL, the dictionary of values, the list of stat results, or the dictionary of what was found.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the repository URL
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ pull_schedule_repo_url | wsl.cuda.pull_repo_url_problems }}"
"""

RETURN = r"""
_value:
  description: The problems, each a sentence with its remedy; empty when there is none.
  type: list
  elements: str
  sample: ["pull_schedule_repo_url uses http://, which anyone on the network can change ..."]
"""

import re
import stat as stat_module
from urllib.parse import urlsplit

from ansible_collections.wsl.cuda.plugins.module_utils.wsl_conf import systemd_at_boot

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# git's scp-like syntax: [user@]host:path, recognised by git when no slash comes before the first colon.
_SCP_LIKE = re.compile(r"(?:(?P<user>[A-Za-z0-9._~-]+)@)?(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(?P<path>[^:].*)")
_REMEDY_CREDENTIALS = (
    "Remedy: give root a read-only deploy key and use the ssh URL (git@host:path or ssh://git@host/path), or keep a "
    "token in a git credential helper for root (git config --system credential.helper store, with the token in "
    "/root/.git-credentials, mode 0600), and drop it from the URL."
)


def pull_repo_url_problems(url):
    """Return the problems of pull_schedule_repo_url (an empty one is reported by the role itself)."""
    if not isinstance(url, str):
        return ["pull_schedule_repo_url must be a string."]
    if not url.strip():
        return []
    if _CONTROL.search(url) or " " in url:
        return ["pull_schedule_repo_url holds a space, a line break or another control character. Remedy: give the URL alone."]
    scheme = url.split("://", 1)[0].lower() if "://" in url else None
    if scheme is None:
        match = _SCP_LIKE.fullmatch(url)
        if match and "/" not in url.split(":", 1)[0]:
            return []
        return [
            "pull_schedule_repo_url is not an https:// or ssh URL (a local path, or a git transport such as ext::). "
            "Remedy: use https://host/path, ssh://git@host/path or git@host:path."
        ]
    if scheme not in ("https", "ssh"):
        return [
            "pull_schedule_repo_url uses %s://, which %s. Remedy: use https://host/path, ssh://git@host/path or "
            "git@host:path: whoever can change what the laptops pull runs code as root on them." % (
                scheme, "anyone on the network can read and change" if scheme in ("http", "git", "ftp")
                else "this role does not accept (only https and ssh)")
        ]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return ["pull_schedule_repo_url is not a valid URL (its port or host). Remedy: use https://host/path or ssh://git@host/path."]
    userinfo = parts.netloc.rpartition("@")[0]
    if scheme == "https" and "@" in parts.netloc:
        return ["pull_schedule_repo_url holds a user or token (https://user:token@...). " + _REMEDY_CREDENTIALS]
    if scheme == "ssh" and ":" in userinfo:
        return ["pull_schedule_repo_url holds a password (ssh://user:password@...). " + _REMEDY_CREDENTIALS]
    if not parts.hostname:
        return ["pull_schedule_repo_url names no host. Remedy: use https://host/path or ssh://git@host/path."]
    if not parts.path or parts.path == "/":
        return ["pull_schedule_repo_url names no repository path. Remedy: use https://host/path or ssh://git@host/path."]
    if parts.query or parts.fragment:
        return ["pull_schedule_repo_url has a query or fragment (? or #), which git does not take. Remedy: give the URL without it."]
    return []


def control_character_problems(values):
    """Name each variable whose value (a string, or a list of strings) holds a control character."""
    problems = []
    for name, value in sorted(values.items()):
        items = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(item, str) and _CONTROL.search(item) for item in items):
            problems.append(
                "%s holds a line break or another control character, which could add a line to the systemd units. "
                "Remedy: give it on one line." % name
            )
    return problems


def root_only_write_problems(results):
    """Name each path (from ansible.builtin.stat results) that is not root's or that group or others may write."""
    problems = []
    for result in results:
        info = result.get("stat") or {}
        if not info.get("exists"):
            continue
        item = result.get("item") if isinstance(result.get("item"), dict) else {}
        path = item.get("path") or info.get("path")
        variable = item.get("variable") or result.get("variable")
        mode = int(info.get("mode") or "0", 8)
        wrong = []
        if info.get("uid") != 0:
            wrong.append("is owned by %s, not root" % (info.get("pw_name") or "uid %s" % info.get("uid")))
        if mode & (stat_module.S_IWGRP | stat_module.S_IWOTH):
            wrong.append("may be written by %s (mode %s)" % (
                "group and others" if mode & stat_module.S_IWGRP and mode & stat_module.S_IWOTH
                else "its group" if mode & stat_module.S_IWGRP else "others", info.get("mode")))
        if not wrong:
            continue
        if item.get("parent"):
            # Not ours to change (it may be /tmp): the file belongs elsewhere.
            remedy = ("keep the file in a directory that only root can change, e.g. "
                      "sudo install -d -m 0755 /etc/wsl-cuda and set the variable to a path in it")
        else:
            remedy = "sudo chown root:root %s && sudo %s %s" % (path, "chmod go-w" if info.get("isdir") else "chmod 0600", path)
        problems.append(
            "%s (%s) %s: root's scheduled ansible-pull reads it, so whoever can change it runs code as root. "
            "Remedy: %s" % (path, variable, " and ".join(wrong), remedy)
        )
    return problems


def _stat_results(results):
    return [result for result in (results or []) if isinstance(result, dict) and isinstance(result.get("stat"), dict)]


def pull_schedule_problems(found):
    """Return everything that keeps the schedule from working, in the order the role reports it.

    found: the settings (repo_url, extra_vars_file, ansible_pull, verify_commit, gpg_home, wsl_conf, one_line) and what
    the preflight found (programs: paths of the executables found; trusted: the stat results of the trusted paths;
    git_paths, gpg_paths, gpg_keyrings; systemd_running, systemd_at_boot, systemd_installed; analyzed: the
    systemd-analyze results of the calendar and the time span).
    """
    programs = list(found.get("programs") or [])
    trusted = found.get("trusted") or []
    present = [result["item"]["path"] for result in _stat_results(trusted) if result["stat"].get("exists")]
    repo_url = found.get("repo_url") or ""
    extra_vars_file = found.get("extra_vars_file") or ""
    ansible_pull = found.get("ansible_pull")
    verify_commit = bool(found.get("verify_commit"))
    gpg_home = found.get("gpg_home")
    wsl_conf = found.get("wsl_conf")
    installed = bool(found.get("systemd_installed"))
    problems = []
    if not repo_url.strip():
        problems.append(
            "pull_schedule_repo_url is empty. Remedy: set it to the team's repository that holds the playbook, as "
            "`git clone` takes it (e.g. https://git.example.com/it/wsl-cuda.git)."
        )
    problems += pull_repo_url_problems(repo_url)
    problems += control_character_problems(found.get("one_line") or {})
    missing = ([ansible_pull] if ansible_pull not in programs else []) + (
        ["git"] if not [path for path in programs if path in (found.get("git_paths") or [])] else [])
    if missing:
        problems.append(
            "%s not found: the timer's service runs ansible-pull, which clones with git. "
            "Remedy: sudo apt-get install -y ansible-core git" % " and ".join(missing)
        )
    if extra_vars_file and extra_vars_file not in present:
        problems.append(
            "the team's settings file %s (pull_schedule_extra_vars_file) does not exist. Remedy: copy the team's "
            "group_vars/all.yml there, or set pull_schedule_extra_vars_file to \"\" for none." % extra_vars_file
        )
    problems += root_only_write_problems(trusted)
    if verify_commit and not [path for path in (found.get("gpg_paths") or []) if path in programs]:
        problems.append(
            "gpg not found: pull_schedule_verify_commit has git check each commit's signature with it. "
            "Remedy: sudo apt-get install -y gpg"
        )
    if verify_commit and not [keyring for keyring in (found.get("gpg_keyrings") or []) if keyring["path"] in present]:
        problems.append(
            "%s (pull_schedule_gpg_home) holds no public keyring, so no commit could be verified "
            "(pull_schedule_verify_commit). Remedy: import the team's signing keys, and only those (git accepts a "
            "signature by any key there): sudo install -d -m 0700 %s && sudo gpg --homedir %s --import "
            "team-signing-keys.asc" % (gpg_home, gpg_home, gpg_home)
        )
    if not (found.get("systemd_running") or found.get("systemd_at_boot")):
        problems.append(
            "systemd is not PID 1 here and %s, so nothing would ever start the timer: WSL starts no services of its "
            "own. Remedy: %sset dockerd_startup_persist: systemd and run the site play (it writes [boot] systemd=true "
            "to %s), run `wsl --shutdown` in Windows (PowerShell or cmd), open the distro again and run this again."
            % ((wsl_conf + " does not turn it on ([boot] systemd=true)") if installed else "is not installed",
               "" if installed else "sudo apt-get install -y systemd; ", wsl_conf)
        )
    for result in found.get("analyzed") or []:
        if "skipped" in result or result.get("rc") == 0:
            continue
        problems.append(
            "systemd cannot parse pull_schedule_on_calendar or pull_schedule_randomized_delay: %s Remedy: see "
            "systemd.time(7), e.g. \"Mon..Fri 09:30\" and \"15min\"." % (result.get("stderr") or "").strip()
        )
    return problems


class FilterModule(object):
    def filters(self):
        return {
            "pull_repo_url_problems": pull_repo_url_problems,
            "control_character_problems": control_character_problems,
            "root_only_write_problems": root_only_write_problems,
            "pull_schedule_problems": pull_schedule_problems,
            "wsl_conf_systemd_at_boot": systemd_at_boot,
        }
