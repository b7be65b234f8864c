# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The refresh of the WSL CDI specification at boot: which refresher, and the files and units it needs.

Used by the module ``wsl.cuda.cdi_spec`` (the check and refresh itself is ``cdi_spec.py``, which this
installs as the boot-time refresh). One refresher per distro:

- systemd and toolkit >= 1.19.1: the toolkit's ``nvidia-cdi-refresh.service`` writes the spec named in its
  environment file, and our drop-in checks it (ExecStartPost);
- systemd and an older toolkit: our ``wsl-cuda-cdi-refresh.service`` (the toolkit's units disabled);
- no systemd: dockerd_startup's start script runs the refresh before dockerd starts.

Standard library only.
"""

from __future__ import annotations

import os
import re
import shlex
import stat

from ansible_collections.wsl.cuda.plugins.module_utils import dpkg, files
from ansible_collections.wsl.cuda.plugins.module_utils.cdi_spec import version_at_least

MANAGED = "# Managed by wsl.cuda (role nvidia_container_toolkit, module wsl.cuda.cdi_spec): changes are overwritten."


def dpkg_version(package, status_text):
    """The installed version of ``package`` in the text of /var/lib/dpkg/status, or None (held counts as installed)."""
    entry = dpkg.packages(status_text, {package}).get(package)
    if entry and dpkg.is_installed(entry["status"]):
        return entry["version"] or None
    return None


def upstream_version(version):
    """``1:1.20.0-1`` → ``1.20.0`` (the epoch and the Debian revision left out), or '' for none."""
    match = re.match(r"^(?:[0-9]+:)?([0-9]+\.[0-9]+(?:\.[0-9]+)?)", version or "")
    return match.group(1) if match else ""


def by_toolkit(systemd, unit_exists, toolkit_version, refresh_from):
    """The toolkit's nvidia-cdi-refresh.service refreshes: systemd, its unit, and a version where it works on WSL."""
    version = upstream_version(toolkit_version)
    return bool(systemd and unit_exists and version and version_at_least(version, refresh_from))


def script_text(lib, spec, runner, refresh):
    """The boot-time refresh ``refresh``: the shared code ``lib`` run on the spec ``spec``."""
    return "\n".join([
        "#!/bin/sh",
        MANAGED,
        "# Check the CDI specification of the WSL GPU (%s) and, when it names" % spec,
        "# paths that no longer exist (a Windows driver update renamed the driver store), regenerate it with",
        "# `nvidia-ctk cdi generate --mode=wsl`, or remove it when that fails. Logs one line per action.",
        "# Run at boot %s." % runner,
        "# Usage: %s [check|refresh] [--force] [--no-generate] [--json]" % refresh,
        "# Exit status: 0 a usable spec is in place, 1 none is.",
        'exec /usr/bin/python3 %s "$@" --spec %s' % (shlex.quote(lib), shlex.quote(spec)),
        "",
    ])


def unit_text(refresh):
    """Our wsl-cuda-cdi-refresh.service (where the toolkit's does not work on WSL)."""
    return "\n".join([
        MANAGED,
        "# The toolkit's nvidia-cdi-refresh.service does not work on WSL before toolkit 1.19.1",
        "# (NVIDIA/nvidia-container-toolkit#1782), and its path unit does not see a Windows driver update.",
        "[Unit]",
        "Description=Refresh the CDI specification of the WSL GPU after a Windows driver update",
        "ConditionPathExists=/dev/dxg",
        "ConditionPathExists=%s" % refresh,
        "Before=docker.service",
        "",
        "[Service]",
        "Type=oneshot",
        "ExecStart=%s refresh" % refresh,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def dropin_text(refresh):
    """Our drop-in of nvidia-cdi-refresh.service: check the spec it generated, remove an unusable one."""
    return "\n".join([
        MANAGED,
        "# Check the spec the toolkit just generated: it must name /dev/dxg, libdxcore.so and the driver",
        "# store's libcuda.so.1.1 and nvidia-smi, each existing; an unusable one is removed (and logged).",
        '# "-": the toolkit\'s unit keeps its own success and restart logic.',
        "[Unit]",
        "Before=docker.service",
        "",
        "[Service]",
        "ExecStartPost=-%s refresh --no-generate" % refresh,
        "",
    ])


def env_text(text, settings):
    """The toolkit's environment file with each (KEY, VALUE) of settings set, or removed where VALUE is ''.

    As ansible.builtin.lineinfile with regexp ``^\\s*#?\\s*KEY=``: the last matching line (commented or not)
    is replaced, or the line appended; with no value every matching line goes. Other lines stay.
    """
    lines = (text or "").splitlines()
    for key, value in settings:
        pattern = re.compile(r"^\s*#?\s*%s=" % re.escape(key))
        matches = [index for index, line in enumerate(lines) if pattern.match(line)]
        if value:
            if matches:
                lines[matches[-1]] = "%s=%s" % (key, value)
            else:
                lines.append("%s=%s" % (key, value))
        else:
            lines = [line for index, line in enumerate(lines) if index not in matches]
    return "\n".join(lines) + "\n" if lines else ""


class Files(object):
    """Writes and removes files under ``root``, remembering what changed; in check mode only tells."""

    def __init__(self, root="/", check_mode=False):
        self.root, self.check_mode = root, check_mode
        self.changed = []

    def full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def read(self, path):
        try:
            with open(self.full(path), "rb") as handle:
                return handle.read().decode("utf-8", "surrogateescape")
        except (IOError, OSError):
            return None

    def exists(self, path):
        return os.path.lexists(self.full(path))

    def ensure(self, path, text, mode):
        """``path`` holds ``text`` with ``mode`` (root-owned when run as root); missing directories get 0755."""
        full = self.full(path)
        try:
            same = self.read(path) == text and stat.S_IMODE(os.lstat(full).st_mode) == mode
        except OSError:
            same = False
        if same:
            return False
        self.changed.append(path)
        if self.check_mode:
            return True
        files.make_directories(files.missing_directories(os.path.dirname(full)))
        files.write_atomically(full, text.encode("utf-8", "surrogateescape"), mode=mode)
        return True

    def remove(self, path):
        if not self.exists(path):
            return False
        self.changed.append(path)
        if not self.check_mode:
            os.remove(self.full(path))
        return True
