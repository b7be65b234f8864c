# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What wsl.cuda.apt_packages decides, in plain functions (standard library only, no python3-apt).

dpkg's status file says what is installed; the module calls apt only when it differs from what is wanted.
``Apt`` runs apt-cache and apt-get through one callable, the seam the unit tests fake.
"""

from __future__ import annotations

import os
import re

from ansible_collections.wsl.cuda.plugins.module_utils import dpkg
from ansible_collections.wsl.cuda.plugins.module_utils.apt_repo import resolve_version

DPKG_STATUS = dpkg.STATUS_PATH
# What ansible.builtin.apt reads as the age of apt's cache: the success stamp where apt writes one
# (Ubuntu's update-notifier), else the lists directory.
CACHE_STAMPS = ("/var/lib/apt/periodic/update-success-stamp", "/var/lib/apt/lists")
# The last word of Status for a package that is not there (config-files: removed, its conffiles kept).
GONE = ("not-installed", "config-files")
APT_ENV = {
    "DEBIAN_FRONTEND": "noninteractive",
    "DEBIAN_PRIORITY": "critical",
    "APT_LISTCHANGES_FRONTEND": "none",
    "LANG": "C",
    "LC_ALL": "C",
    "LC_MESSAGES": "C",
}


def parse_status(text, names=None):
    """dpkg's status file → {package: {"status", "version", "architecture"}} (for names only, when given)."""
    return dpkg.packages(text, names)


def read_status(path=DPKG_STATUS, names=None):
    """parse_status of the file at path; {} when there is none (no package installed)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return parse_status(handle.read(), names)
    except FileNotFoundError:
        return {}


def installed_version(status, name):
    """The version dpkg has installed of name ("hold ok installed" too: a held package is installed), else ''."""
    entry = status.get(name)
    return entry["version"] if entry and dpkg.is_installed(entry["status"]) else ""


def is_present(status, name):
    """Whether anything of name is there to remove (installed, or left half-way: unpacked, half-configured...)."""
    entry = status.get(name)
    return bool(entry and entry["status"]) and entry["status"].split()[-1] not in GONE


def pin_matches(pin, version):
    """Whether version is what pin names: the full version, without its epoch, or only the upstream version."""
    return bool(pin) and bool(version) and resolve_version([version], pin) == version


def upstream_numbers(version):
    """The leading numbers of a version's upstream part: '5:27.3.1-1~debian' → (27, 3, 1); () when none."""
    match = re.match(r"^[0-9]+(\.[0-9]+)*", re.sub(r"^[0-9]+:", "", version or ""))
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def older_than(version, minimum):
    """Whether version's upstream numbers are below minimum's (19.03 → (19, 3)); False when either has none."""
    have, need = upstream_numbers(version), upstream_numbers(minimum)
    return bool(have) and bool(need) and have < need


def pin_of(pins):
    """{package: its pin} of the pins that name a version."""
    return dict((name, pin) for pin in pins if pin["version"] for name in pin["packages"])


def wanted_names(packages, pins):
    """The wanted packages in order, each once: packages, then the pins' packages."""
    names = []
    for name in list(packages) + [name for pin in pins for name in pin["packages"]]:
        if name not in names:
            names.append(name)
    return names


def plan(status, packages, pins, absent):
    """(install, remove): the wanted packages dpkg does not have as wanted, the absent ones it has."""
    wanted = wanted_names(packages, pins)
    pinned = pin_of(pins)
    install = [name for name in wanted
               if not installed_version(status, name)
               or (name in pinned and not pin_matches(pinned[name]["version"], installed_version(status, name)))]
    remove = [name for name in absent if name not in wanted and is_present(status, name)]
    return install, remove


def normal_pins(pins):
    """The pins with their versions stripped (an empty or missing version pins nothing)."""
    return [dict(pin, version=(pin.get("version") or "").strip()) for pin in pins]


def decide(status, packages, pins, absent, query=()):
    """What wsl.cuda.apt_packages would do on dpkg's status, before it calls apt: {install, remove, versions,
    problems}. versions: the installed version of every package it names ('' for none), as the module returns.

    Pure: wsl.cuda.host_state answers with it for the roles' package steps, which then skip the module when
    nothing is to install or remove and there are no problems.
    """
    pins = normal_pins(pins)
    wanted = wanted_names(packages, pins)
    names = wanted_names(wanted + list(absent) + list(query), [])
    install, remove = plan(status, packages, pins, absent)
    return dict(install=install, remove=remove, problems=min_version_problems(pins),
                versions=dict((name, installed_version(status, name)) for name in names))


def min_version_problems(pins):
    """One sentence per pin whose version is below its min_version (known from the pin itself: a pin matches
    only versions whose upstream numbers are its own)."""
    problems = []
    for pin in pins:
        if pin["version"] and pin.get("min_version") and older_than(pin["version"], pin["min_version"]):
            reason = pin.get("min_version_reason") or "%s needs %s or newer" % (pin["packages"][0], pin["min_version"])
            problems.append("%s '%s' is older than %s, but %s. Pick a newer version or set %s to \"\" for the newest."
                            % (pin["variable"], pin["version"], pin["min_version"], reason, pin["variable"]))
    return problems


def parse_madison(text):
    """`apt-cache madison` output → {package: [versions, in apt's order, each once]}."""
    result = {}
    for line in text.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) >= 3 and parts[0] and parts[1]:
            versions = result.setdefault(parts[0], [])
            if parts[1] not in versions:
                versions.append(parts[1])
    return result


def cache_age(now, stamps=None):
    """Seconds since apt's cache was updated (the first stamp that exists), None when none does."""
    for path in CACHE_STAMPS if stamps is None else stamps:
        if os.path.exists(path):
            return now - os.stat(path).st_mtime
    return None


def resolve_pins(pins, install, available):
    """({package: exact version} for the packages to install that a pin names, [problems]).

    A pin resolves against its first package's versions, as the roles resolved it; each package to install
    at that version must have it.
    """
    specs, problems = {}, []
    for pin in pins:
        targets = [name for name in pin["packages"] if name in install]
        if not pin["version"] or not targets:
            continue
        head = pin["packages"][0]
        resolved = resolve_version(available.get(head, []), pin["version"])
        for name in targets if resolved else [head]:
            if resolved and resolved in available.get(name, []):
                specs[name] = resolved
                continue
            problems.append("%s '%s' is not available for %s here. Available: %s. Set %s to one of them, or to \"\" for the newest."
                            % (pin["variable"], pin["version"], name,
                               ", ".join(available.get(name, [])) or "none (is the repository reachable?)", pin["variable"]))
    return specs, problems


def unknown_problem(names, hint):
    """The sentence for wanted packages that apt knows no version of, even after apt-get update."""
    one = len(names) == 1
    hint = hint or "add the apt source that provides %s and run again" % ("it" if one else "them")
    return "apt knows no %s package%s: %s." % (", ".join(names), "" if one else "s", hint)


def apt_get_argv(apt_get, install, specs, remove, allow_downgrade, lock_timeout):
    """One apt-get call that installs (at the resolved versions) and removes: `install pkg=ver other-`."""
    argv = [apt_get, "install" if install else "remove", "-y", "-q",
            "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
            "-o", "DPkg::Lock::Timeout=%d" % lock_timeout]
    if allow_downgrade and install:
        argv.append("--allow-downgrades")
    argv += [name + "=" + specs[name] if name in specs else name for name in install]
    argv += [name + "-" if install else name for name in remove]
    return argv


def apt_error(rc, stdout, stderr):
    """apt's own words of a failed call: its E: lines, else the end of stderr or stdout."""
    lines = [line.strip() for line in (stderr or "").splitlines() + (stdout or "").splitlines()]
    errors = [line for line in lines if line.startswith("E:")]
    return " ".join(errors or [line for line in (stderr or stdout or "").splitlines() if line.strip()][-6:]) or "rc %s" % rc


# apt-get's words for lists that are missing or stale (a dependency from a source never fetched, a
# package file gone from the mirror): worth one apt-get update and one more try.
STALE_LISTS = ("Unable to locate package", "has no installation candidate", "is not installable",
               "but it is not going to be installed", "Failed to fetch", "Unable to fetch some archives",
               "Unable to correct problems")


def stale_lists(stdout, stderr):
    """Whether a failed apt-get install says its lists are missing or stale."""
    text = (stdout or "") + "\n" + (stderr or "")
    return any(words in text for words in STALE_LISTS)


class AptError(Exception):
    """apt-get or apt-cache failed; the message is apt's own."""

    def __init__(self, what, rc, stdout, stderr):
        super().__init__("%s failed (rc %s): %s" % (what, rc, apt_error(rc, stdout, stderr)))
        self.rc, self.stdout, self.stderr = rc, stdout, stderr


class Apt:
    """apt-cache and apt-get through run(argv) → (rc, stdout, stderr), in the C locale without questions."""

    def __init__(self, run, apt_get="apt-get", apt_cache="apt-cache", lock_timeout=60):
        self.run, self.apt_get, self.apt_cache, self.lock_timeout = run, apt_get, apt_cache, lock_timeout
        self.commands = []

    def call(self, argv, what):
        self.commands.append(list(argv))
        rc, stdout, stderr = self.run(argv)
        if rc != 0:
            raise AptError(what, rc, stdout, stderr)
        return stdout, stderr

    def madison(self, names):
        return parse_madison(self.call([self.apt_cache, "madison"] + list(names), "apt-cache madison")[0])

    def update(self):
        return self.call([self.apt_get, "update", "-q", "-o", "DPkg::Lock::Timeout=%d" % self.lock_timeout], "apt-get update")

    def install(self, install, specs, remove, allow_downgrade):
        argv = apt_get_argv(self.apt_get, install, specs, remove, allow_downgrade, self.lock_timeout)
        return self.call(argv, "apt-get " + argv[1])
