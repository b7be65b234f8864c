# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check an apt repository as apt would, before its source is written.

A repository answers when its InRelease (or Release plus Release.gpg) can be fetched; it is usable when
gpgv finds that file signed by the pinned key, the file is not past its Valid-Until, it lists the package
index the source will read (e.g. ``stable/binary-amd64/Packages`` for Docker's ``dists/<codename>/``,
``Packages`` for NVIDIA's flat ``<channel>/deb/<arch>/``), and that index matches its SHA-256 there. The
versions of the packages asked for are read from the index, so a pinned version is checked before the source
exists. Standard library and gpgv only (apt depends on gpgv); fetching is the caller's, so that the module
can use Ansible's fetch_url (proxy, certificates, file://) and the tests a dict of bytes.
"""

from __future__ import annotations

import bz2
import email.utils
import gzip
import hashlib
import lzma
import os
import re
import subprocess
import tempfile
import time

# Compressed forms apt prefers, in its order; the plain file last.
COMPRESSIONS = ((".xz", lzma.decompress), (".gz", gzip.decompress), (".bz2", bz2.decompress), ("", lambda data: data))


class FetchError(Exception):
    """A file that could not be fetched; str() says why (the caller's words)."""


def release_fields(text):
    """The fields of a Release file: {field: value}, multi-line values (checksum lists) kept as lines."""
    fields, name = {}, None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0] in " \t" and name is not None:
            fields[name].append(line.strip())
            continue
        name, _sep, value = line.partition(":")
        name = name.strip()
        fields[name] = [value.strip()] if value.strip() else []
    return fields


def release_sha256(fields):
    """{path: (sha256, size)} of a Release file's SHA256 list."""
    listed = {}
    for entry in fields.get("SHA256", []):
        parts = entry.split()
        if len(parts) == 3 and re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]) and parts[1].isdigit():
            listed[parts[2]] = (parts[0].lower(), int(parts[1]))
    return listed


def valid_until_problem(fields, now):
    """Why the Release file is out of date (its Valid-Until has passed), or None."""
    value = " ".join(fields.get("Valid-Until", []))
    if not value:
        return None
    try:
        until = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return "has a Valid-Until that is no date (%s)" % value
    if until < now:
        return "is out of date (Valid-Until %s has passed), so apt would refuse it" % value
    return None


def package_versions(index_text, names):
    """{name: [versions]} of the named packages in a Packages index, in the index's order, without repeats."""
    found = dict((name, []) for name in names)
    package = version = None
    for line in index_text.splitlines() + [""]:
        if not line.strip():
            if package in found and version and version not in found[package]:
                found[package].append(version)
            package = version = None
        elif line.startswith("Package:"):
            package = line.split(":", 1)[1].strip()
        elif line.startswith("Version:"):
            version = line.split(":", 1)[1].strip()
    return found


def run_verifier(argv_of, key_binary, signed, signature=None):
    """(result, content) of one signature check in a private directory holding the pinned key alone.

    argv_of(tmp, keyring, data, signature_file, output) gives the command: signature_file is None for a
    clear-signed file (InRelease), whose cleartext the tool writes to output; for a detached signature
    (Release.gpg) output is the data file itself. content is what output holds after a run that exited 0.
    """
    with tempfile.TemporaryDirectory(prefix="wsl-cuda-apt-") as tmp:
        keyring = os.path.join(tmp, "pinned.gpg")
        with open(keyring, "wb") as handle:
            handle.write(key_binary)
        data = os.path.join(tmp, "signed")
        with open(data, "wb") as handle:
            handle.write(signed)
        if signature is None:
            sig, output = None, os.path.join(tmp, "cleartext")
        else:
            sig, output = os.path.join(tmp, "signed.gpg"), data
            with open(sig, "wb") as handle:
                handle.write(signature)
        result = subprocess.run(argv_of(tmp, keyring, data, sig, output), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, check=False, timeout=60, env=dict(os.environ, LC_ALL="C"))
        content = None
        if result.returncode == 0 and os.path.exists(output):
            with open(output, "rb") as handle:
                content = handle.read()
        return result, content


def sqv_verify(sqv, key_binary, signed, signature=None):
    """(content, problem) as gpgv_verify, with Sequoia's sqv: what apt verifies with on Debian 13 and newer,
    which no longer installs gpgv. The keyring holds the pinned key alone, so a signature sqv accepts is the
    pinned key's."""
    def argv_of(tmp, keyring, data, sig, output):
        if sig is None:
            return [sqv, "--keyring", keyring, "--cleartext", "--output", output, data]
        return [sqv, "--keyring", keyring, "--signature-file", sig, data]

    result, content = run_verifier(argv_of, key_binary, signed, signature)
    if result.returncode != 0 or content is None:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines() or ["no valid signature"]
        return None, "is not signed by the pinned key (sqv: %s)" % " ".join(line.strip() for line in lines)
    return content, None


def gpgv_verify(gpgv, key_binary, pinned, signed, signature=None):
    """(content, problem): what gpgv verified (the cleartext of InRelease, or Release itself) or why not.

    The keyring holds the pinned key alone; the signature must also name it as the primary key (VALIDSIG's
    last field), with no expired or revoked key and no bad signature among the status lines.
    """
    if os.path.basename(gpgv) == "sqv":
        return sqv_verify(gpgv, key_binary, signed, signature)

    def argv_of(tmp, keyring, data, sig, output):
        argv = [gpgv, "--homedir", tmp, "--keyring", keyring, "--status-fd", "1"]
        return argv + (["--output", output, data] if sig is None else [sig, data])

    result, content = run_verifier(argv_of, key_binary, signed, signature)
    status = result.stdout.decode("utf-8", "replace")
    words = [line.split()[1:] for line in status.splitlines() if line.startswith("[GNUPG:] ")]
    bad = [w[0] for w in words if w and w[0] in ("BADSIG", "EXPKEYSIG", "REVKEYSIG", "EXPSIG", "ERRSIG", "NO_PUBKEY")]
    valid = [w[-1].upper() for w in words if w and w[0] == "VALIDSIG"]
    if result.returncode != 0 or bad or pinned not in valid or content is None:
        reason = {
            "NO_PUBKEY": "is signed by another key, not the pinned one",
            "ERRSIG": "is signed by another key, not the pinned one",
            "BADSIG": "has a bad signature (the file was changed after it was signed)",
            "EXPKEYSIG": "is signed by an expired key",
            "REVKEYSIG": "is signed by a revoked key",
            "EXPSIG": "has an expired signature",
        }
        why = reason.get(bad[0]) if bad else None
        if why is None:
            why = "is not signed by the pinned key (gpgv: %s)" % (
                result.stderr.decode("utf-8", "replace").strip().splitlines() or ["no valid signature"])[-1]
        return None, why
    return content, None


def read_index(fetch, url, listed, index):
    """(text, problem) of the package index `index` (relative to url), checked against the Release's SHA-256."""
    tried = []
    for suffix, decompress in COMPRESSIONS:
        path = index + suffix
        if path not in listed:
            continue
        sha256, size = listed[path]
        try:
            data = fetch(url + path)
        except FetchError as exc:
            tried.append("%s: %s" % (path, exc))
            continue
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
            return None, "serves a %s that does not match the SHA-256 in its signed Release file" % path
        try:
            return decompress(data).decode("utf-8", "replace"), None
        except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
            return None, "serves a %s that cannot be decompressed (%s)" % (path, exc)
    if tried:
        return None, "lists %s but does not serve it (%s)" % (index, "; ".join(tried))
    return None, "has no %s in its signed Release file: the source would find no packages there" % index


def check_repository(fetch, gpgv, key_binary, pinned, url, indexes, packages, now=None):
    """Check one release directory (url ends with /): {url, release, versions, problem}.

    problem is a phrase to follow "the repository at URL" (None when the repository is usable); release
    names the file that was verified (InRelease or Release).

    fetch(url) returns the bytes or raises FetchError; indexes are the package index paths the source will
    read, relative to url; packages are the names whose versions are wanted.
    """
    now = time.time() if now is None else now
    result = {"url": url, "release": None, "versions": dict((name, []) for name in packages), "problem": None}
    try:
        content, problem = gpgv_verify(gpgv, key_binary, pinned, fetch(url + "InRelease"))
        result["release"] = "InRelease"
    except FetchError as in_release_error:
        try:
            release = fetch(url + "Release")
            signature = fetch(url + "Release.gpg")
        except FetchError as exc:
            result["problem"] = "does not answer (InRelease: %s; Release and Release.gpg: %s)" % (in_release_error, exc)
            return result
        content, problem = gpgv_verify(gpgv, key_binary, pinned, release, signature)
        result["release"] = "Release"
    if problem is not None:
        result["problem"] = "%s %s" % (result["release"], problem)
        return result
    fields = release_fields(content.decode("utf-8", "replace"))
    problem = valid_until_problem(fields, now)
    if problem is not None:
        result["problem"] = "%s %s" % (result["release"], problem)
        return result
    listed = release_sha256(fields)
    for index in indexes:
        text, problem = read_index(fetch, url, listed, index)
        if problem is not None:
            result["problem"] = problem
            return result
        for name, versions in package_versions(text, packages).items():
            result["versions"][name].extend(v for v in versions if v not in result["versions"][name])
    return result


def resolve_version(available, wanted):
    """The first of available that wanted names: the full version, without its epoch, or only the upstream
    version (27.3.1 picks 5:27.3.1-1~debian.12~bookworm); '' when none does."""
    bare = re.sub(r"^[0-9]+:", "", wanted)
    pattern = re.compile(r"^([0-9]+:)?" + re.escape(bare) + r"([-~]|$)")
    return next((version for version in available if pattern.match(version)), "")


def pin_problem(variable, package, wanted, available, where):
    """The problem of a pinned version that the repository does not have, or None."""
    if not wanted or resolve_version(available, wanted):
        return None
    return ("%s %r is not in the repository at %s: it has %s %s. Set %s to one of them, or to \"\" for the newest;"
            " nothing was written." % (variable, wanted, where, package, ", ".join(available) or "no version at all", variable))
