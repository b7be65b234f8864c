# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the collection's modules write a file: the missing directories (0755), then a temporary file in the
target's directory, renamed over the target, so that a reader (apt, dockerd, WSL) never sees half a file and a
failure leaves the old one as it was. Standard library only."""

from __future__ import annotations

import os
import stat
import tempfile


def missing_directories(directory):
    """The directories of a path that do not exist yet, outermost first."""
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return list(reversed(missing))


def make_directories(directories, mode=0o755):
    """Create directories (as missing_directories lists them) with mode, whatever the umask."""
    for directory in directories:
        os.mkdir(directory)
        os.chmod(directory, mode)


def write_atomically(path, data, mode=None, check=None):
    """Write bytes to path through a temporary file in its directory, then rename it over path.

    mode: the file's mode; None keeps an existing file's mode and owner, and gives a new file 0644.
    check: called with the temporary file's path before the rename (raise to keep the old file).
    The directory must exist (make_directories). Returns nothing; raises OSError.
    """
    directory = os.path.dirname(path) or "."
    try:
        before = os.stat(path)
    except FileNotFoundError:
        before = None
    handle, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if check is not None:
            check(temp)
        if mode is None and before is not None:
            os.chmod(temp, stat.S_IMODE(before.st_mode))
            if os.geteuid() == 0:
                os.chown(temp, before.st_uid, before.st_gid)
        else:
            os.chmod(temp, 0o644 if mode is None else mode)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def write_output(path, data, mode=0o644, check_mode=False):
    """Write an output of a run (a report) unless path holds data with mode already: (written, created_dirs).

    Only the directories that are missing are created (0755); one that is there keeps its owner and mode. In check
    mode nothing is written: written says whether it would be. Raises OSError, its message naming the step.
    """
    dirs = missing_directories(os.path.dirname(path))
    try:
        with open(path, "rb") as handle:
            same = handle.read() == data and stat.S_IMODE(os.stat(path).st_mode) == mode
    except (FileNotFoundError, NotADirectoryError):
        same = False
    except OSError as error:
        raise OSError("%s cannot be read: %s" % (path, error)) from error
    if same or check_mode:
        return not same, dirs
    try:
        make_directories(dirs)
        write_atomically(path, data, mode=mode)
    except OSError as error:
        raise OSError("%s could not be written: %s" % (path, error)) from error
    return True, dirs
