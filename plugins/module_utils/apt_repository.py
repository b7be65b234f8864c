# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One apt repository as one step: its keyring, its source, the clean-up of an earlier setup, its own update.

The module wsl.cuda.apt_repository is a thin wrapper around apply(); everything here takes its I/O through
plain paths and a run(argv) callable, so that the unit tests drive it on temporary files with a fake apt-get.
"""

from __future__ import annotations

import os

from ansible_collections.wsl.cuda.plugins.module_utils import files, openpgp

TAG_SECRET_KEY = 5
TAG_PUBLIC_KEY = 6


class RepositoryError(Exception):
    """A step failed; the message says what, and what became of the source."""

    def __init__(self, msg, **result):
        super().__init__(msg)
        self.msg = msg
        self.result = result


def read(path):
    """The bytes of a file, or None when there is none."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def put_back(path, data):
    """Restore a file to earlier bytes, or remove it when there was none."""
    if data is None:
        if os.path.lexists(path):
            os.unlink(path)
    else:
        files.make_directories(files.missing_directories(os.path.dirname(path)))
        files.write_atomically(path, data, mode=0o644)


def split_keys(data):
    """A binary keyring's packets grouped by key: [(primary fingerprint or None, [(tag, body), ...]), ...].

    Each group starts at a primary (public or secret) key packet and holds what follows it up to the next one
    (user IDs, signatures, subkeys, GnuPG's trust packets); packets before the first key form a group of their own.
    """
    groups = []
    for tag, body in openpgp.iter_packets(data):
        if tag in (TAG_PUBLIC_KEY, TAG_SECRET_KEY) or not groups:
            fingerprint = openpgp.key_identity(tag, body)[1] if tag in (TAG_PUBLIC_KEY, TAG_SECRET_KEY) else None
            groups.append((fingerprint, []))
        groups[-1][1].append((tag, body))
    return groups


def without_keys(data, fingerprints):
    """(the keyring's bytes without those keys, the fingerprints removed, the fingerprints left).

    Only a binary keyring (apt-key's /etc/apt/trusted.gpg format) is edited; the keys kept are re-encoded
    packet by packet, which gpgv reads as it read the original.
    """
    drop = {fingerprint.upper() for fingerprint in fingerprints}
    kept, removed, left = [], [], []
    for fingerprint, group in split_keys(data):
        if fingerprint in drop:
            if fingerprint not in removed:
                removed.append(fingerprint)
            continue
        if fingerprint and fingerprint not in left:
            left.append(fingerprint)
        kept.extend(openpgp.encode_packet(tag, body) for tag, body in group)
    return b"".join(kept), removed, left


def fragment_fingerprints(data):
    """The primary fingerprints of a trusted.gpg.d fragment (armored or binary), or None when it is not OpenPGP."""
    try:
        return openpgp.fingerprints(data)
    except openpgp.OpenPGPError:
        return None


def plan_global_keys(global_keyring, global_keyring_dir, fingerprints):
    """What the clean-up of apt's global trust would do: [(path, new bytes or None to remove, removed fingerprints)]."""
    if not fingerprints:
        return []
    drop = {fingerprint.upper() for fingerprint in fingerprints}
    actions = []
    data = read(global_keyring)
    if data:
        try:
            rest, removed, left = without_keys(data, drop)
        except openpgp.OpenPGPError:
            rest, removed, left = data, [], []
        if removed:
            actions.append((global_keyring, rest if left else None, removed))
    try:
        names = sorted(os.listdir(global_keyring_dir))
    except FileNotFoundError:
        names = []
    for name in names:
        if not name.endswith((".gpg", ".asc")):
            continue
        path = os.path.join(global_keyring_dir, name)
        if not os.path.isfile(path):
            continue
        found = fragment_fingerprints(read(path) or b"")
        # A fragment is removed only when every key in it is one of ours: a user's own keys stay trusted.
        if found and set(found) <= drop:
            actions.append((path, None, found))
    return actions


def update_argv(source):
    """apt-get update of this one source: an unrelated broken source must not stop the role."""
    return ["apt-get", "update", "-o", "Dir::Etc::sourcelist=%s" % source, "-o", "Dir::Etc::sourceparts=-",
            "-o", "APT::Get::List-Cleanup=0"]


def lists_argv(source):
    """The package indexes apt holds for this source alone (none before its first update, or after a killed one)."""
    return ["apt-get", "indextargets", "-o", "Dir::Etc::sourcelist=%s" % source, "-o", "Dir::Etc::sourceparts=-",
            "--format", "$(FILENAME)", "Created-By: Packages"]


def lists_present(run, source):
    """True when apt has the Packages lists of this source (files that apt-get indextargets names and that exist)."""
    rc, out, _err = run(lists_argv(source))
    files = [line.strip() for line in out.splitlines() if line.strip()] if rc == 0 else []
    return bool(files) and all(os.path.exists(path) for path in files)


def apply(params, run, check_mode=False):
    """Bring one repository to the state params asks for; returns the module's result (a dict).

    params: state (present/absent), key (armored text), keyring, source, content (the source file's text),
    update, remove_sources, remove_keys, global_keyring, global_keyring_dir.
    run(argv) -> (rc, stdout, stderr). Raises RepositoryError, after putting the source and the keyring back
    as they were, when apt-get update fails.
    """
    keyring, source = params["keyring"], params["source"]
    before = {keyring: read(keyring), source: read(source)}
    if params["state"] == "absent":
        wanted = {keyring: None, source: None}
    else:
        wanted = {keyring: params["key"].encode("utf-8"), source: params["content"].encode("utf-8")}
    changed_files = [path for path in (keyring, source) if before[path] != wanted[path]]
    legacy = [path for path in params["remove_sources"] if os.path.lexists(path)]
    key_actions = plan_global_keys(params["global_keyring"], params["global_keyring_dir"], params["remove_keys"])
    result = dict(
        keyring_changed=keyring in changed_files, source_changed=source in changed_files,
        removed_sources=legacy,
        removed_keys=[dict(path=path, fingerprints=removed, file_removed=data is None) for path, data, removed in key_actions],
        updated=False, lists_present=None,
        diff=dict(before_header=source, after_header=source,
                  before=(before[source] or b"").decode("utf-8", "replace"),
                  after=(wanted[source] or b"").decode("utf-8", "replace")),
    )
    need_update = False
    if params["state"] == "present" and params["update"]:
        if changed_files:
            need_update = True
        else:
            result["lists_present"] = lists_present(run, source)
            need_update = not result["lists_present"]
    result["changed"] = bool(changed_files or legacy or key_actions or need_update)
    if check_mode or not result["changed"]:
        result["updated"] = need_update and check_mode
        return result

    for path in changed_files:
        put_back(path, wanted[path])
    for path in legacy:
        os.unlink(path)
    for path, data, _removed in key_actions:
        put_back(path, data)
        if data is None and os.path.lexists(path + "~"):
            os.unlink(path + "~")
    if need_update:
        rc, out, err = run(update_argv(source))
        if rc != 0:
            for path in changed_files:
                put_back(path, before[path])
            outcome = ("restored to what it was" if before[source] is not None and source in changed_files
                       else "removed again" if source in changed_files else "left as it was")
            text = (err or out or "").strip()
            raise RepositoryError(
                "apt-get update of %s failed (rc=%d)%s\n%s was %s, so apt-get update keeps working. Fix the cause above"
                " and run the play again." % (source, rc, (": " + text) if text else "", source, outcome),
                rc=rc, stdout=out, stderr=err, **{k: v for k, v in result.items() if k != "changed"})
        result["updated"] = True
    return result
