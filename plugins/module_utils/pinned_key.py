# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A repository key checked against its pinned fingerprint: wsl.cuda.pinned_key, and wsl.cuda.apt_repo_check
when it is given the key's URL instead of the key (one module call for the key and the repository)."""

from __future__ import annotations

import os
import re

from ansible_collections.wsl.cuda.plugins.module_utils.openpgp import OpenPGPError, armor, pinned_key_packets, serialize


def normalize_fingerprint(value):
    """The fingerprint without spaces, upper case, or None when it is not 40 hex digits."""
    compact = re.sub(r"\s", "", value or "").upper()
    return compact if re.match(r"^[0-9A-F]{40}$", compact) else None


def check_key(data, pinned):
    """(key text, checked, problem): the pinned key alone, re-armored, or why data is not usable.

    checked is what openpgp.pinned_key_packets found (None when the data is no OpenPGP); problem is
    a phrase to follow "the file ...", or None.
    """
    try:
        checked = pinned_key_packets(data, pinned)
    except OpenPGPError as exc:
        return None, None, "is no OpenPGP public key: %s" % exc
    if checked["packets"] is None:
        return None, checked, "does not hold the pinned key"
    if checked["findings"]:
        return None, checked, "also holds %s" % ", ".join(checked["findings"])
    return armor(serialize(checked["packets"])), checked, None


def read_keyring(path):
    """The bytes of the keyring in place, or None when it is missing or unreadable."""
    if not path or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


def proxy_settings(proxy_env):
    """The proxy variables of proxy_env, as strings; other names (and empty values) are left out."""
    return dict((name, str(value)) for name, value in (proxy_env or {}).items()
                if name in PROXY_VARIABLES and value not in (None, ""))


def fetch(module, url, timeout):
    """The bytes served at url; fails the module, saying why, when they cannot be fetched."""
    # Imported here: a key already in place is not fetched, and urls costs a tenth of a second.
    from ansible.module_utils.urls import fetch_url

    response, info = fetch_url(module, url, timeout=timeout)
    status = info.get("status")
    # file:// answers without an HTTP status; http(s) must answer 200.
    if response is None or (not url.startswith("file:") and status != 200):
        module.fail_json(
            msg="Could not fetch the key from %s: %s. Check the URL and the network (or the proxy in"
            " http_proxy/https_proxy), then run again; nothing was trusted or written." % (url, info.get("msg", "no answer")),
            url=url,
            status=status,
        )
    return response.read()


# The options of wsl.cuda.pinned_key, which wsl.cuda.apt_repo_check also takes (its key_url is pinned_key's url).
ARGUMENT_SPEC = dict(
    proxy_env=dict(type="dict", default={}, no_log=True),
    fingerprint=dict(type="str", required=True),
    keyring=dict(type="path"),
    fingerprint_option=dict(type="str", default="fingerprint"),
    hint=dict(type="str", default=""),
    timeout=dict(type="int", default=30),
    validate_certs=dict(type="bool", default=True),
)


def pinned_key(module, url, params):
    """The result of wsl.cuda.pinned_key (key, fingerprints, fetched, replaced_reason, dropped) for the key
    at url; fails the module with what was found and what to do when the key is not the pinned one alone."""
    option = params["fingerprint_option"]
    pinned = normalize_fingerprint(params["fingerprint"])
    if pinned is None:
        module.fail_json(
            msg="%s must be the 40 hex digits of the key's primary-key fingerprint (spaces allowed); got %r."
            % (option, params["fingerprint"])
        )

    replaced, more = "", False
    current = read_keyring(params["keyring"])
    if current is not None:
        key, checked, problem = check_key(current, pinned)
        if problem is None:
            return dict(key=key, fingerprints=[pinned], fetched=False, replaced_reason="", dropped=checked["dropped"])
        replaced = "%s %s" % (params["keyring"], problem)
        more = bool(checked and checked["packets"] is not None)

    os.environ.update(proxy_settings(params["proxy_env"]))
    text = fetch(module, url, params["timeout"])
    key, checked, problem = check_key(text, pinned)
    found = checked["found"] if checked else []
    if problem is not None:
        also = (" The keyring in place was not kept either: %s." % replaced) if replaced else ""
        if checked is None or checked["packets"] is None:
            note = " (the file %s)" % problem if checked is None else ""
            msg = (
                "The key served at %s is not the pinned one, so nothing was trusted or written. Expected %s = %s;"
                " found %s%s." % (url, option, pinned, ", ".join(found) or "no OpenPGP public key", note)
            )
            if params["hint"]:
                msg += " " + params["hint"].strip()
        else:
            msg = (
                "The key file served at %s holds more than the pinned key %s = %s, so nothing was trusted or"
                " written: it %s. apt trusts every key in a signed-by keyring, so each of them could sign this"
                " repository's packages. Serve a file that holds the pinned key alone (gpg --armor --export %s),"
                " or point the key URL at one." % (url, option, pinned, problem, pinned)
            )
            if checked["secret"]:
                msg += (" Whoever can read that file holds the secret key it carries: treat that key as"
                        " compromised and tell the file's owner.")
        module.fail_json(msg=msg + also, url=url, fingerprints=found, expected=pinned,
                         findings=checked["findings"] if checked else [])
    if more:
        module.warn(
            "The keyring in place %s. apt would trust all of it for this repository, so it is not used: the"
            " pinned key alone, fetched again from %s, takes its place once the repository is checked against it."
            % (replaced, url)
        )
    elif replaced:
        module.warn("The keyring in place %s, so it is not used: the pinned key, fetched from %s, takes its place once"
                    " the repository is checked against it." % (replaced, url))
    return dict(key=key, fingerprints=[pinned], fetched=True, replaced_reason=replaced, dropped=checked["dropped"])
