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
  - Returns the ASCII-armored text of a repository signing key whose primary-key fingerprint is the
    pinned one, ready to be written as the keyring an apt source names in C(signed-by).
  - When O(keyring) already holds the pinned key, its text is returned and nothing is fetched, so a
    second run makes no network request.
  - Otherwise the key is fetched from O(url) (C(https://), C(http://) or C(file://); proxies come from
    the C(http_proxy), C(https_proxy) and C(no_proxy) environment variables) and parsed in pure Python;
    neither C(gpg) nor C(apt-key) is used.
  - Fails, naming the pinned and the found fingerprints and what to do, when the served key is not
    the pinned one or is not an ASCII-armored OpenPGP public key.
  - The module writes nothing. The caller writes the returned RV(key), for example with M(ansible.builtin.copy),
    only after this module succeeded.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  url:
    description: Where the repository publishes its key.
    type: str
    required: true
  fingerprint:
    description:
      - The pinned fingerprint of the key's primary key, 40 hex digits; spaces are ignored and case does not matter.
    type: str
    required: true
  keyring:
    description:
      - The keyring file in place. When it holds the pinned key as ASCII armor, its text is returned
        without fetching O(url). A missing or unreadable file, or one that holds another key, is fetched anew.
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
  - Version 4 primary keys are recognised (all that apt repositories publish today); subkeys are not
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
  description: The ASCII-armored key text, from O(keyring) or from O(url).
  returned: success
  type: str
  sample: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBFit2ioBEADhWpZ8/wvZ6hUTiXOwQHXMAlaFHcPH9hAtr4F1y2+OYdbtMuth\n..."
fingerprints:
  description: The fingerprints of every primary key in RV(key), upper case, without spaces.
  returned: success
  type: list
  elements: str
  sample: [9DC858229FC7DD38854AE2D88D81803C0EBFCD88]
fetched:
  description: Whether the key was fetched from O(url) (false when O(keyring) already held it).
  returned: success
  type: bool
  sample: false
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import fetch_url

from ansible_collections.wsl.cuda.plugins.module_utils.openpgp import ARMOR_HEADER, OpenPGPError
from ansible_collections.wsl.cuda.plugins.module_utils.openpgp import fingerprints as openpgp_fingerprints


def normalize_fingerprint(value):
    """The fingerprint without spaces, upper case, or None when it is not 40 hex digits."""
    compact = re.sub(r"\s", "", value or "").upper()
    return compact if re.match(r"^[0-9A-F]{40}$", compact) else None


def armored_fingerprints(text):
    """(fingerprints, problem): the primary-key fingerprints of armored key text, or why there are none."""
    if ARMOR_HEADER not in text:
        return [], "the file is not an ASCII-armored key"
    try:
        return openpgp_fingerprints(text), None
    except OpenPGPError as exc:
        return [], "the key text is damaged: %s" % exc


def read_keyring(path):
    """The text of the keyring in place, or None when it is missing or unreadable."""
    if not path or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as handle:
            return to_text(handle.read(), errors="surrogate_or_replace")
    except OSError:
        return None


def fetch(module, url, timeout):
    """The text served at url; fails the module, saying why, when it cannot be fetched."""
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
    return to_text(response.read(), errors="surrogate_or_replace")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
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
    pinned = normalize_fingerprint(params["fingerprint"])
    if pinned is None:
        module.fail_json(
            msg="%s must be the 40 hex digits of the key's primary-key fingerprint (spaces allowed); got %r."
            % (params["fingerprint_option"], params["fingerprint"])
        )

    current = read_keyring(params["keyring"])
    if current is not None:
        found, problem = armored_fingerprints(current)
        if problem is None and pinned in found:
            module.exit_json(changed=False, key=current, fingerprints=found, fetched=False)

    text = fetch(module, params["url"], params["timeout"])
    found, problem = armored_fingerprints(text)
    if problem is not None or pinned not in found:
        note = " (%s)" % problem if problem else ""
        msg = (
            "The key served at %s is not the pinned one, so nothing was trusted or written. Expected %s = %s;"
            " found %s%s." % (params["url"], params["fingerprint_option"], pinned, ", ".join(found) or "no OpenPGP public key", note)
        )
        if params["hint"]:
            msg += " " + params["hint"].strip()
        module.fail_json(msg=msg, url=params["url"], fingerprints=found, expected=pinned)
    module.exit_json(changed=False, key=text, fingerprints=found, fetched=True)


if __name__ == "__main__":
    main()
