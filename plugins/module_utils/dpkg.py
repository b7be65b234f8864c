# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""dpkg's status file, read the one way every module of the collection reads it (standard library only).

A stanza's ``Status`` is three words, "want flag state" (dpkg-query(1)): a package is installed when its
state is ``installed``, whatever is wanted of it ("hold ok installed" is a held package, still installed).
"""

from __future__ import annotations

import re

STATUS_PATH = "/var/lib/dpkg/status"


def parse_stanzas(text):
    """The stanzas of a dpkg status (or journal) file as [{field: value}], field names lower-cased.

    Continuation lines (Description, Conffiles) are skipped; a stanza without Package is left out.
    """
    stanzas = []
    for stanza in re.split(r"\n[ \t]*\n", text or ""):
        fields = {}
        for line in stanza.splitlines():
            if not line or line[0] in " \t" or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if fields.get("package"):
            stanzas.append(fields)
    return stanzas


def status_words(fields):
    """The Status of a stanza as its words, normalised: ['hold', 'ok', 'installed']."""
    return fields.get("status", "").split()


def is_installed(status):
    """Whether a Status string ("install ok installed", "hold ok installed"...) is that of an installed package."""
    words = (status or "").split()
    return len(words) == 3 and words[2] == "installed"


def packages(text, names=None):
    """{package: {"status", "version", "architecture"}} of a status file's text, for names only when given.

    A package of several architectures keeps its installed stanza, else its first one.
    """
    result = {}
    for fields in parse_stanzas(text):
        name = fields["package"]
        if names is not None and name not in names:
            continue
        entry = {"status": " ".join(status_words(fields)), "version": fields.get("version", ""),
                 "architecture": fields.get("architecture", "")}
        if name not in result or (is_installed(entry["status"]) and not is_installed(result[name]["status"])):
            result[name] = entry
    return result
