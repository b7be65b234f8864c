# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What wsl.cuda.image_runs does, in plain functions (standard library only): look for an image, check it against
its pin, and run containers of it, through one callable run(argv) → (rc, stdout, stderr), the seam the unit tests
fake."""

from __future__ import annotations

import threading

# The image's ID and its repo digests on one line: what a pin is compared with.
INSPECT_FORMAT = "{{ .Id }}{{ range .RepoDigests }} {{ . }}{{ end }}"


def inspect_argv(engine, image):
    """The command that prints the image's ID and repo digests (INSPECT_FORMAT), or fails when it is not there."""
    return [engine, "image", "inspect", "--format", INSPECT_FORMAT, image]


def image_ids(line):
    """The ID and the digests of an inspect line: 'sha256:1 repo@sha256:2' → ['sha256:1', 'sha256:2']."""
    return [word.rsplit("@", 1)[-1] for word in line.split()]


def command_result(argv, rc, stdout, stderr):
    """One command's result, as ansible.builtin.command registers one."""
    stdout, stderr = stdout.rstrip("\n"), stderr.rstrip("\n")
    return {"cmd": list(argv), "rc": rc, "stdout": stdout, "stderr": stderr,
            "stdout_lines": stdout.splitlines(), "stderr_lines": stderr.splitlines()}


def run_all(run, engine, image, digest, runs):
    """Look for image; when it is there and digest is empty or one of its IDs, run every argv of runs.

    runs: [{"name", "argv", "alongside"}]. The entries with alongside (commands that measure nothing) start at once,
    each in a thread, and the others run in order meanwhile, one at a time. Returns {"present", "ids",
    "digest_matches", "inspect_error", "runs": {name: result}}, each result as ansible.builtin.command registers
    one (cmd, rc, stdout, stderr, stdout_lines, stderr_lines), in the order of runs.
    """
    rc, stdout, stderr = run(inspect_argv(engine, image))
    present = rc == 0
    ids = image_ids(stdout.strip().splitlines()[0] if present and stdout.strip() else "")
    matches = present and (not digest or digest in ids)
    result = {"present": present, "ids": ids, "digest_matches": matches,
              "inspect_error": "" if present else (stderr or stdout).strip(), "runs": {}}
    done = {}

    def one(entry):
        done[entry["name"]] = command_result(entry["argv"], *run(list(entry["argv"])))

    runs = runs if matches else []
    threads = [threading.Thread(target=one, args=(entry,)) for entry in runs if entry.get("alongside")]
    for thread in threads:
        thread.start()
    for entry in runs:
        if not entry.get("alongside"):
            one(entry)
    for thread in threads:
        thread.join()
    result["runs"] = dict((entry["name"], done[entry["name"]]) for entry in runs)
    return result
