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
  - Each returns a list of sentences with their remedy; an empty list means there is nothing to refuse.
positional: _input
options:
  _input:
    description: The repository URL, the dictionary of values, or the list of stat results.
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


class FilterModule(object):
    def filters(self):
        return {
            "pull_repo_url_problems": pull_repo_url_problems,
            "control_character_problems": control_character_problems,
            "root_only_write_problems": root_only_write_problems,
        }
