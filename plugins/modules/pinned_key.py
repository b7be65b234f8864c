#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pinned_key
short_description: Fetch an apt repository's signing key and check it against a pinned fingerprint
version_added: 0.1.0
description:
  - Returns the pinned key alone, ASCII-armored, ready to be written as the keyring an apt source
    names in C(signed-by). apt trusts every key in that keyring for the repository, so the key file
    must hold the pinned key and nothing else.
  - The file served at O(url) (or the keyring in place) is refused unless every public-key packet in it,
    of any version (v3, v4, v5, v6) and in any of its armor blocks, is the pinned primary key, and unless
    it holds no secret-key packet and no packet that has no place in a public key (compressed or literal
    data, for instance). The failure message names what else was found.
  - Of the pinned key, RV(key) holds its primary key, its direct signatures, its user IDs and its subkeys,
    each with the signatures that name the pinned primary as issuer, re-armored (no armor headers, with
    the CRC-24 checksum). Third-party certifications, user attributes and subkeys without a binding
    signature by the primary are left out (RV(dropped)). Signatures are not verified here; apt's
    C(gpgv) verifies them, and rejects a subkey whose binding signature is not the primary's.
  - When O(keyring) already holds the pinned key and nothing else, its key is returned and nothing is
    fetched, so a second run makes no network request. A keyring in place that holds anything else
    (another key, secret-key material), that lacks the pinned key or that is not OpenPGP data is not kept;
    the key is fetched and checked anew, and RV(replaced_reason) (and a warning) says why.
  - The key is fetched from O(url) (C(https://), C(http://) or C(file://); proxies come from
    O(proxy_env), else the C(http_proxy), C(https_proxy) and C(no_proxy) environment variables) and parsed in pure Python;
    neither C(gpg) nor C(apt-key) is used. ASCII-armored and binary key files are read.
  - Fails, naming the pinned and the found fingerprints and what to do, when the served key is not
    the pinned one or is not an OpenPGP public key.
  - The module writes nothing. The caller writes the returned RV(key), for example with M(ansible.builtin.copy),
    only after this module succeeded.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  url:
    description: Where the repository publishes its key.
    type: str
    required: true
  proxy_env:
    description:
      - Proxy variables for the download (C(http_proxy), C(https_proxy), C(no_proxy) and their upper-case
        forms), such as the fact C(proxy_environment) that the C(wsl.cuda.proxy) role sets.
      - They are set in the module's own process only. A task's C(environment:) keyword would put them,
        with a proxy password, on the module's command line, where C(ps) shows them to every local user.
      - Not logged (C(no_log)).
    type: dict
    default: {}
  fingerprint:
    description:
      - The pinned fingerprint of the key's primary key, 40 hex digits (a v4 key); spaces are ignored and
        case does not matter.
    type: str
    required: true
  keyring:
    description:
      - The keyring file in place. When it holds the pinned key and nothing else, the key is returned
        without fetching O(url). A missing or unreadable file, or one that holds anything else, is fetched anew.
    type: path
  fingerprint_option:
    description: The name of the caller's setting for O(fingerprint), named in the failure message.
    type: str
    default: fingerprint
  hint:
    description: Sentences appended to the failure message when the served key is not the pinned one.
    type: str
    default: ""
  timeout:
    description: Seconds to wait for O(url).
    type: int
    default: 30
  validate_certs:
    description: Check the TLS certificate of an C(https://) O(url).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The module only reads; it fetches the key in check mode too.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
notes:
  - The pinned key is a version 4 primary key (all that apt repositories publish today); subkeys are not
    compared, so a rotated signing subkey does not change the pinned fingerprint.
seealso:
  - plugin: wsl.cuda.openpgp_fingerprints
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Fetch and check Docker's repository key
  wsl.cuda.pinned_key:
    url: https://download.docker.com/linux/debian/gpg
    fingerprint: 9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88
    keyring: /etc/apt/keyrings/docker.asc
    fingerprint_option: docker_engine_repo_key_fingerprint
  register: __docker_key

- name: Write the checked key where the apt source's signed-by points
  ansible.builtin.copy:
    content: "{{ __docker_key.key }}"
    dest: /etc/apt/keyrings/docker.asc
    owner: root
    group: root
    mode: "0644"
"""

RETURN = r"""
key:
  description:
    - The pinned key alone, ASCII-armored, from O(keyring) or from O(url).
    - The same packets always give the same text, so writing it again changes nothing.
  returned: success
  type: str
  sample: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxsFNBFit2ioBEADhWpZ8/wvZ6hUTiXOwQHXMAlaFHcPH9hAtr4F1y2+OYdbtMuth\n..."
fingerprints:
  description: The fingerprints of every primary key in RV(key) (the pinned one), upper case, without spaces.
  returned: success
  type: list
  elements: str
  sample: [9DC858229FC7DD38854AE2D88D81803C0EBFCD88]
fetched:
  description: Whether the key was fetched from O(url) (false when O(keyring) already held it and nothing else).
  returned: success
  type: bool
  sample: false
replaced_reason:
  description:
    - Why the keyring in place was not kept (it held another key, secret-key material, no pinned key,
      or no OpenPGP data); empty when it was kept or there was none. The caller's write of RV(key) then
      replaces it.
  returned: success
  type: str
  sample: "/etc/apt/keyrings/docker.asc also holds another primary key, v4 key 0123456789ABCDEF0123456789ABCDEF01234567"
dropped:
  description:
    - What of the pinned key was left out of RV(key), in words (third-party certifications, user attributes,
      subkeys without a binding signature by the pinned primary).
  returned: success
  type: list
  elements: str
  sample: ["a signature made by 0123456789ABCDEF0123456789ABCDEF01234567 (type 0x10)"]
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url

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


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            proxy_env=dict(type="dict", default={}, no_log=True),
            fingerprint=dict(type="str", required=True),
            keyring=dict(type="path"),
            fingerprint_option=dict(type="str", default="fingerprint"),
            hint=dict(type="str", default=""),
            timeout=dict(type="int", default=30),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    url, option = params["url"], params["fingerprint_option"]
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
            module.exit_json(changed=False, key=key, fingerprints=[pinned], fetched=False,
                             replaced_reason="", dropped=checked["dropped"])
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
            "The keyring in place %s. apt would trust all of it for this repository, so it is replaced with"
            " the pinned key alone, fetched again from %s." % (replaced, url)
        )
    elif replaced:
        module.warn("The keyring in place %s, so it is replaced with the pinned key, fetched from %s." % (replaced, url))
    module.exit_json(changed=False, key=key, fingerprints=[pinned], fetched=True,
                     replaced_reason=replaced, dropped=checked["dropped"])


if __name__ == "__main__":
    main()
