# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""/etc/wsl.conf as WSL reads it, and the edits of wsl.cuda.dockerd_startup ([boot] command and systemd).

WSL's parser (microsoft/WSL, src/shared/configfile/configfile.cpp) reads a gitconfig-style file:
``[section]`` headers (a letter, then letters and digits, nothing else between the brackets), ``key = value``
lines (the same characters in a key), and ``#`` comments, on a line of their own or after a value outside
quotes. In a value, double quotes group (and are dropped), ``\\\\``, ``\\"``, ``\\b``, ``\\n``, ``\\t`` are
escapes and a backslash at the end of a line continues the value on the next. Sections and keys are matched
without regard to case (``[Boot]`` ``Command``); a key that appears twice counts the first time only. Any other
line (``; comment``, ``[ boot ]``, an unclosed quote, a bad escape) is skipped, and keeps the section it is in.

Only the lines that change are rewritten; every other line, blank line and comment stays byte for byte.
Standard library only (the module runs on the target's Python).
"""

from __future__ import annotations

import re

_SECTION = re.compile(r"^[ \t]*\[([A-Za-z][A-Za-z0-9]*)\][ \t]*(?:#.*)?$")
_KEY = re.compile(r"^([ \t]*)([A-Za-z][A-Za-z0-9]*)([ \t]*=[ \t]*)")
_ESCAPES = {"\\": "\\", '"': '"', "b": "\b", "n": "\n", "t": "\t"}
_TRUE = ("true", "1")


class Entry(object):
    """One logical line: kind 'section', 'key' or 'other', over physical lines [start, end)."""

    def __init__(self, kind, start, end, section=None, key=None, value=None, prefix="", comment=""):
        self.kind = kind
        self.start = start
        self.end = end
        self.section = section  # lower-case section the line is in (for a header: its own name)
        self.key = key  # the key as written
        self.value = value  # the value as WSL reads it
        self.prefix = prefix  # indentation, key and '=' with their spacing, as written
        self.comment = comment  # a trailing '#' comment, as written (with the spaces before it)

    def is_key(self, section, key):
        return self.kind == "key" and self.section == section and self.key.lower() == key


def _value(text):
    """(value, comment, complete) of the text after '=': complete is False when a trailing backslash
    continues it on the next line; value is None when WSL would skip the line."""
    value, quoted, index, trimmed = [], False, 0, 0
    while index < len(text):
        char = text[index]
        if char == '"':
            quoted = not quoted
        elif char == "\\":
            if index + 1 == len(text):
                return "".join(value), "", False
            escaped = _ESCAPES.get(text[index + 1])
            if escaped is None:
                return None, "", True
            value.append(escaped)
            index += 1
        elif char == "#" and not quoted:
            comment_start = len(text[:index].rstrip(" \t"))
            return "".join(value)[:trimmed], text[comment_start:], True
        else:
            value.append(char)
        if char not in " \t":
            trimmed = len(value)
        index += 1
    if quoted:
        return None, "", True
    return "".join(value)[:trimmed], "", True


def _strip_newline(line):
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith("\n") or line.endswith("\r"):
        return line[:-1]
    return line


def parse(text):
    """The file's lines (with their line ends) and its entries, in order."""
    lines = text.splitlines(True)
    entries, section, index = [], None, 0
    while index < len(lines):
        start = index
        line = _strip_newline(lines[index])
        index += 1
        header = _SECTION.match(line)
        if header:
            section = header.group(1).lower()
            entries.append(Entry("section", start, index, section=section))
            continue
        key = _KEY.match(line)
        if not key:
            entries.append(Entry("other", start, index, section=section))
            continue
        rest = line[key.end():]
        while True:
            value, comment, complete = _value(rest)
            if complete or index >= len(lines):
                break
            rest = rest[:-1] + _strip_newline(lines[index])  # WSL drops the backslash and the line end
            index += 1
        if value is None or not complete:
            entries.append(Entry("other", start, index, section=section))
            continue
        if section is None:  # a key before any section is no key WSL knows
            entries.append(Entry("other", start, index))
            continue
        entries.append(Entry("key", start, index, section=section, key=key.group(2), value=value,
                             prefix=key.group(0), comment=comment))
    return lines, entries


def _effective(entries, section, key):
    """The entry WSL uses for section.key: the first one."""
    for entry in entries:
        if entry.is_key(section, key):
            return entry
    return None


def read(text):
    """{'command': str or None, 'systemd': str or None} of [boot] as WSL reads them."""
    _lines, entries = parse(text)
    command = _effective(entries, "boot", "command")
    systemd = _effective(entries, "boot", "systemd")
    return {"command": command.value if command else None, "systemd": systemd.value if systemd else None}


def systemd_at_boot(text):
    """Whether WSL starts systemd with this wsl.conf: [boot] systemd is true (https://learn.microsoft.com/windows/wsl/systemd)."""
    value = read(text or "")["systemd"]
    return value is not None and value.strip().lower() in _TRUE


def quote(value):
    """value written so that WSL reads it back as it is."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"%s"' % escaped.replace("\b", "\\b")


def chain_with(theirs, ours):
    """The boot command that runs the user's command, then ours (sh -c runs it)."""
    theirs = theirs.rstrip()
    if theirs.endswith(";") or (theirs.endswith("&") and not theirs.endswith("&&")):
        return "%s %s" % (theirs, ours)
    return "%s; %s" % (theirs, ours)


def without(value, ours):
    """value with every `;`-separated part that is ours alone taken out ('' when nothing else is left)."""
    parts = value.split(";")
    kept = [part for part in parts if part.strip() != ours]
    if len(kept) == len(parts):
        return value
    return ";".join(kept).strip().strip(";").strip() if kept else ""


def _line_end(lines):
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
    return "\n"


class Edit(object):
    """The wanted [boot] settings applied to the text of a wsl.conf; messages say what changed."""

    def __init__(self, text):
        self.text = text
        self.lines, self.entries = parse(text)
        self.newline = _line_end(self.lines)
        self.replace = {}  # start line -> (end line, new lines)
        self.inserts = []  # lines to insert after the first [boot] header, or in a new [boot] at the end
        self.messages = []

    def _set(self, entry, value):
        line = "%s%s%s%s" % (entry.prefix, value, entry.comment, self.newline)
        self.replace[entry.start] = (entry.end, [line])

    def _remove(self, entry):
        self.replace[entry.start] = (entry.end, [])

    def command_present(self, ours):
        entry = _effective(self.entries, "boot", "command")
        if entry is None:
            self.inserts.append("command = %s%s" % (quote(ours), self.newline))
            self.messages.append("added [boot] command = %s" % quote(ours))
        elif entry.value.strip() == "":
            self._set(entry, quote(ours))
            self.messages.append("set the empty [boot] command to %s" % quote(ours))
        elif ours not in entry.value:
            chained = chain_with(entry.value, ours)
            self._set(entry, quote(chained))
            self.messages.append("chained %s after the [boot] command already there" % ours)

    def command_absent(self, ours):
        for entry in self.entries:
            if not entry.is_key("boot", "command") or ours not in entry.value:
                continue
            rest = without(entry.value, ours)
            if rest == entry.value:
                continue  # ours inside a part of the user's own (`... && ours`): theirs, left alone
            if rest:
                self._set(entry, quote(rest))
                self.messages.append("took %s out of the [boot] command, kept the rest" % ours)
            else:
                self._remove(entry)
                self.messages.append("removed the [boot] command %s" % quote(entry.value))

    def systemd_on(self):
        entry = _effective(self.entries, "boot", "systemd")
        if entry is None:
            self.inserts.insert(0, "systemd = true%s" % self.newline)
            self.messages.append("added [boot] systemd = true")
        elif entry.value.strip().lower() not in _TRUE:
            self._set(entry, "true")
            self.messages.append("set [boot] systemd = true (it was %s)" % quote(entry.value))

    def result(self):
        """The new text (the same text when nothing changed)."""
        if not self.replace and not self.inserts:
            return self.text
        lines = list(self.lines)
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += self.newline
        header = next((entry for entry in self.entries if entry.kind == "section" and entry.section == "boot"), None)
        out, index = [], 0
        while index < len(lines):
            if index in self.replace:
                end, new = self.replace[index]
                out.extend(new)
                index = end
                continue
            out.append(lines[index])
            if header is not None and index == header.start:
                out.extend(self.inserts)
            index += 1
        if header is None and self.inserts:
            if out and out[-1].strip():
                out.append(self.newline)
            out.append("[boot]%s" % self.newline)
            out.extend(self.inserts)
        return "".join(out)


def edit(text, command=None, command_state=None, systemd=False):
    """(new text, messages) of text with ours (command) present or absent in [boot] command, and
    [boot] systemd = true when systemd is true. command_state None leaves the command alone."""
    change = Edit(text)
    if systemd:
        change.systemd_on()
    if command_state == "present":
        change.command_present(command)
    elif command_state == "absent":
        change.command_absent(command)
    return change.result(), change.messages


def unchanged(text, command, systemd=False):
    """{command_state: whether edit() leaves text as it is} for both states of command: whether
    wsl.cuda.wsl_conf would change nothing (wsl.cuda.dockerd_status answers with it)."""
    return dict((state, edit(text, command=command, command_state=state, systemd=systemd)[0] == text)
                for state in ("present", "absent"))
