# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is dockerd running, and does it answer? What wsl.cuda.dockerd_status reads, in one call.

- systemd is PID 1 when /run/systemd/system is a directory (sd_booted(3));
- dockerd is installed when one of the candidate paths exists;
- the pidfile names a running dockerd when /proc/PID/stat reads "PID (dockerd) STATE ..." with a state other than
  zombie (Z) or dead (X); a pidfile that does not is stale;
- dockerd answers when GET /version on its socket returns its version (what `docker info` asks first).
Standard library only (the module runs on the target's Python).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import time

from http.client import HTTPConnection

from ansible_collections.wsl.cuda.plugins.module_utils import wsl_conf


class _UnixConnection(HTTPConnection):
    """HTTP over a unix socket (dockerd's API)."""

    def __init__(self, path, timeout):
        HTTPConnection.__init__(self, "localhost", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except Exception:
            sock.close()
            raise
        self.sock = sock


def _path(root, path):
    return os.path.join(root, path.lstrip("/")) if root not in ("", "/") else path


def read_pid(pidfile, root="/"):
    """(exists, pid text) of the pidfile; pid '' when it cannot be read."""
    path = _path(root, pidfile)
    if not os.path.lexists(path):
        return False, ""
    try:
        with open(path) as handle:
            return True, handle.read().strip()
    except (IOError, OSError, UnicodeError):
        return True, ""


def is_dockerd(pid, root="/"):
    """pid (text) is a live process named dockerd."""
    if not pid.isdigit():
        return False
    try:
        with open(_path(root, "/proc/%s/stat" % pid)) as handle:
            stat = handle.read()
    except (IOError, OSError, UnicodeError):
        return False
    head, _sep, tail = stat.rpartition(")")
    comm = head.partition("(")[2]
    fields = tail.split()
    return comm == "dockerd" and bool(fields) and fields[0] not in ("Z", "X")


def ask(socket_path, timeout=5.0):
    """(version, error) of dockerd's GET /version on socket_path: version None when it does not answer."""
    connection = _UnixConnection(socket_path, timeout)
    try:
        connection.request("GET", "/version", headers={"Host": "docker"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            return None, "GET /version answered %s %s" % (response.status, response.reason)
        version = json.loads(body.decode("utf-8")).get("Version")
        return (str(version) if version else ""), None
    except (IOError, OSError, ValueError, socket.timeout) as error:
        return None, "%s: %s" % (socket_path, getattr(error, "strerror", None) or error)
    finally:
        connection.close()


def wait_answer(socket_path, wait, ask_fn=ask, sleep=time.sleep, clock=time.monotonic):
    """(version, error) after asking until dockerd answers or wait seconds have passed (once with wait 0)."""
    deadline = clock() + max(0, wait)
    while True:
        version, error = ask_fn(socket_path)
        if version is not None or clock() >= deadline:
            return version, error
        sleep(1)


def tail(path, lines, root="/"):
    """The last lines of a text file ([] when it cannot be read)."""
    try:
        with open(_path(root, path), "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 65536))
            text = handle.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return []
    return text.splitlines()[-lines:] if lines > 0 else []


# The owner (uid, gid) of the start script, as the role writes it.
SCRIPT_OWNER = (0, 0)


def file_current(path, content, mode, root="/", owner=None):
    """Whether path is a regular file of owner's (SCRIPT_OWNER: root) holding exactly content (text, written as
    UTF-8) with mode."""
    full = _path(root, path)
    owner = SCRIPT_OWNER if owner is None else owner
    try:
        info = os.lstat(full)
        if not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != mode or (info.st_uid, info.st_gid) != owner:
            return False
        with open(full, "rb") as handle:
            return handle.read() == content.encode("utf-8")
    except (IOError, OSError):
        return False


def wsl_conf_unchanged(path, command, systemd, root="/"):
    """wsl_conf.unchanged() of the file at path (a missing one reads as empty, as wsl.cuda.wsl_conf reads it);
    None when it is not a regular file or not UTF-8 text (wsl.cuda.wsl_conf then says why)."""
    full = _path(root, path)
    try:
        if not os.path.exists(full):
            text = ""
        elif not os.path.isfile(full):
            return None
        else:
            with open(full, "rb") as handle:
                text = handle.read().decode("utf-8")
    except (IOError, OSError, UnicodeError):
        return None
    return wsl_conf.unchanged(text, command, systemd)


def status(pidfile, socket_path, dockerd_paths, root="/", wait=0, ask_fn=ask, sleep=time.sleep, clock=time.monotonic):
    """Everything the role decides on, as one dict (see the module's RETURN)."""
    exists, pid = read_pid(pidfile, root=root)
    running = is_dockerd(pid, root=root)
    version, error = wait_answer(_path(root, socket_path), wait, ask_fn=ask_fn, sleep=sleep, clock=clock)
    found = [path for path in dockerd_paths if os.path.lexists(_path(root, path))]
    return {
        "systemd_booted": os.path.isdir(_path(root, "/run/systemd/system")),
        "dockerd": found[0] if found else None,
        "pidfile_exists": exists,
        "pid": pid,
        "running": running,
        "stale": exists and not running,
        "answers": version is not None,
        "version": version,
        "error": error,
    }


# The options of what read() reads, as wsl.cuda.dockerd_status and wsl.cuda.host_state's `dockerd` take them.
READ_SPEC = dict(
    pidfile=dict(type="path", default="/var/run/docker.pid"),
    socket=dict(type="path", default="/var/run/docker.sock"),
    dockerd_paths=dict(type="list", elements="path",
                       default=["/usr/bin/dockerd", "/usr/sbin/dockerd", "/usr/local/bin/dockerd"]),
    script=dict(type="path"),
    script_content=dict(type="str"),
    script_mode=dict(type="raw", default="0755"),
    wsl_conf=dict(type="path"),
    wsl_conf_command=dict(type="str"),
    wsl_conf_systemd=dict(type="bool", default=False),
    root=dict(type="path", default="/"),
)
READ_REQUIRED_BY = dict(script=["script_content"], wsl_conf=["wsl_conf_command"])


def read(params, wait=0, ask_fn=ask):
    """status() of params (READ_SPEC's options), with script_current and wsl_conf_current (None without script or
    wsl_conf). Raises ValueError for a script_mode that is not octal."""
    result = status(params["pidfile"], params["socket"], params["dockerd_paths"], root=params["root"], wait=wait,
                    ask_fn=ask_fn)
    result["script_current"] = None
    if params["script"]:
        try:
            mode = int(str(params["script_mode"]), 8)
        except ValueError:
            raise ValueError("script_mode must be an octal mode such as 0755, got %s" % params["script_mode"])
        result["script_current"] = file_current(params["script"], params["script_content"], mode, root=params["root"])
    result["wsl_conf_current"] = None
    if params["wsl_conf"]:
        result["wsl_conf_current"] = wsl_conf_unchanged(params["wsl_conf"], params["wsl_conf_command"].strip(),
                                                        params["wsl_conf_systemd"], root=params["root"])
    return result
