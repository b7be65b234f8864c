# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: openpgp_fingerprints
author: wsl.cuda maintainers
version_added: 0.1.0
short_description: Fingerprints of the primary keys in OpenPGP public key data
description:
  - Parses ASCII-armored or binary OpenPGP data (a repository's signing key as served at its
    C(gpgkey) URL, or a keyring file such as C(/etc/apt/trusted.gpg)) and returns the fingerprint
    of every primary public key in it, of any version, in the order they appear, each once.
  - A version 4 key's fingerprint is the SHA-1 digest over C(0x99), the two-octet length and the body
    of the public-key packet (RFC 4880 section 12.2), written as 40 upper-case hex digits without spaces,
    as C(gpg --with-colons --show-keys) prints it in its C(fpr) record.
  - Keys of other versions are listed too, so that a file never looks as if it held fewer keys than
    it does; version 5 and 6 keys with their SHA-256 fingerprint (64 hex digits, RFC 9580 section 5.5.4),
    version 2 and 3 keys with their MD5 fingerprint (32 hex digits).
  - Subkeys are not listed, so an expired signing subkey does not hide the primary key.
  - Pure Python; needs neither C(gpg) nor C(gpgv).
  - Several armor blocks in one text, several keys in one block, old- and new-format packet headers
    and the armor checksum (CRC-24, checked when present) are handled.
  - Malformed data (bad base64, checksum mismatch, truncated packet, text that is not OpenPGP)
    raises an error that says what is wrong.
positional: _input
options:
  _input:
    description:
      - ASCII-armored key text (C(-----BEGIN PGP PUBLIC KEY BLOCK-----)), or binary OpenPGP data
        as bytes or as text decoded with surrogate escapes (what C(ansible.builtin.b64decode) returns
        for the C(content) of C(ansible.builtin.slurp)).
    type: raw
    required: true
"""

EXAMPLES = r"""
# To trust a repository key, use the wsl.cuda.pinned_key module: it also refuses a file that holds
# anything besides the pinned key, and returns only that key's packets. The filter shows what a file holds.
- name: Make a private scratch directory
  ansible.builtin.tempfile:
    state: directory
  register: __scratch

- name: Fetch Docker's repository key into it
  ansible.builtin.get_url:
    url: https://download.docker.com/linux/debian/gpg
    dest: "{{ __scratch.path }}/docker.asc"
    mode: "0600"

- name: Read the key
  ansible.builtin.slurp:
    src: "{{ __scratch.path }}/docker.asc"
  register: __key

- name: Check that the file holds the pinned key and no other primary key
  ansible.builtin.assert:
    that: >-
      (__key.content | b64decode | wsl.cuda.openpgp_fingerprints)
      == ['9DC858229FC7DD38854AE2D88D81803C0EBFCD88']

# A binary keyring works too
- name: Read apt-key's global keyring
  ansible.builtin.slurp:
    src: /etc/apt/trusted.gpg
  register: __trusted

- name: Show the primary keys apt-key trusts globally
  ansible.builtin.debug:
    msg: "{{ __trusted.content | b64decode | wsl.cuda.openpgp_fingerprints }}"
"""

RETURN = r"""
_value:
  description:
    - Fingerprints of the primary keys in file order, without duplicates, upper-case hex; 40 digits for
      a v4 key, 64 for v5 and v6, 32 for v2 and v3.
  type: list
  elements: str
  sample:
    - 9DC858229FC7DD38854AE2D88D81803C0EBFCD88
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wsl.cuda.plugins.module_utils.openpgp import OpenPGPError
from ansible_collections.wsl.cuda.plugins.module_utils.openpgp import fingerprints as _fingerprints


def openpgp_fingerprints(data):
    """Return the primary-key fingerprints found in armored or binary OpenPGP data."""
    try:
        return _fingerprints(data)
    except OpenPGPError as exc:
        raise AnsibleFilterError("openpgp_fingerprints: %s" % exc)


class FilterModule(object):
    """wsl.cuda OpenPGP filters."""

    def filters(self):
        return {"openpgp_fingerprints": openpgp_fingerprints}
