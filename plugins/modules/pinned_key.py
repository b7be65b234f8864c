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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils.pinned_key import ARGUMENT_SPEC, pinned_key


def main():
    module = AnsibleModule(argument_spec=dict(url=dict(type="str", required=True), **ARGUMENT_SPEC), supports_check_mode=True)
    module.exit_json(changed=False, **pinned_key(module, module.params["url"], module.params))


if __name__ == "__main__":
    main()
