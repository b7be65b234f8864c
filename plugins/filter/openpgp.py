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
    of every version 4 primary public key in it, in the order they appear, each once.
  - The fingerprint is the SHA-1 digest over C(0x99), the two-octet length and the body of the
    public-key packet (RFC 4880 section 12.2), written as 40 upper-case hex digits without spaces,
    as C(gpg --with-colons --show-keys) prints it in its C(fpr) record.
  - Subkeys are not listed, so an expired signing subkey does not hide the primary key.
    Keys of other versions (v3, v5, v6) are skipped.
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
- name: Fetch Docker's repository key into a temporary file
  ansible.builtin.get_url:
    url: https://download.docker.com/linux/debian/gpg
    dest: /tmp/docker.asc
    mode: "0600"

- name: Read the key
  ansible.builtin.slurp:
    src: /tmp/docker.asc
  register: __key

- name: Trust the key only if its fingerprint is the pinned one
  ansible.builtin.assert:
    that: >-
      '9DC858229FC7DD38854AE2D88D81803C0EBFCD88'
      in (__key.content | b64decode | wsl.cuda.openpgp_fingerprints)

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
  description: Fingerprints of the v4 primary keys, 40 upper-case hex digits each, in file order, without duplicates.
  type: list
  elements: str
  sample:
    - 9DC858229FC7DD38854AE2D88D81803C0EBFCD88
"""

import base64
import binascii
import hashlib
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_bytes, to_text

_ARMOR_RE = re.compile(
    r"-----BEGIN PGP (?P<label>[A-Z ,/0-9]+)-----[ \t]*\r?\n"
    r"(?P<body>.*?)"
    r"-----END PGP (?P=label)-----",
    re.DOTALL,
)

TAG_PUBLIC_KEY = 6
_CRC24_INIT = 0xB704CE
_CRC24_POLY = 0x1864CFB


def crc24(data):
    """CRC-24 of the armor checksum (RFC 4880 section 6.1)."""
    crc = _CRC24_INIT
    for octet in bytearray(data):
        crc ^= octet << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= _CRC24_POLY
    return crc & 0xFFFFFF


def dearmor(text):
    """Return the binary data of every armor block in text (a list of bytes)."""
    blocks = []
    for match in _ARMOR_RE.finditer(text):
        label = match.group("label")
        lines = [line.strip() for line in match.group("body").splitlines()]
        # Armor headers ("Version: ...", "Comment: ...") end at the first empty line.
        if "" in lines:
            blank = lines.index("")
            if all(":" in line for line in lines[:blank]):
                lines = lines[blank + 1:]
        payload = []
        checksum = None
        for line in lines:
            if not line:
                continue
            if line.startswith("=") and len(line) == 5:
                checksum = line[1:]
                continue
            payload.append(line)
        try:
            data = base64.b64decode("".join(payload).encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise AnsibleFilterError(
                "openpgp_fingerprints: the armored block 'PGP %s' is not valid base64: %s" % (label, exc)
            )
        if checksum is not None:
            try:
                expected = int.from_bytes(base64.b64decode(checksum.encode("ascii"), validate=True), "big")
            except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
                raise AnsibleFilterError(
                    "openpgp_fingerprints: the armor checksum '=%s' of block 'PGP %s' is not valid base64: %s"
                    % (checksum, label, exc)
                )
            actual = crc24(data)
            if actual != expected:
                raise AnsibleFilterError(
                    "openpgp_fingerprints: armor checksum mismatch in block 'PGP %s': the block says %06X,"
                    " the data gives %06X; the key text was damaged in transit or edited" % (label, expected, actual)
                )
        blocks.append(data)
    return blocks


def iter_packets(data):
    """Yield (tag, body) for each packet of binary OpenPGP data (RFC 4880 section 4.2)."""
    data = bytearray(data)
    pos = 0
    end = len(data)
    while pos < end:
        start = pos
        header = data[pos]
        pos += 1
        if not header & 0x80:
            raise AnsibleFilterError(
                "openpgp_fingerprints: not OpenPGP data: octet 0x%02X at offset %d is not a packet header"
                % (header, start)
            )
        if header & 0x40:  # new format
            tag = header & 0x3F
            body = bytearray()
            while True:
                if pos >= end:
                    raise AnsibleFilterError(
                        "openpgp_fingerprints: truncated packet header at offset %d" % start
                    )
                first = data[pos]
                if first < 192:
                    length, pos, partial = first, pos + 1, False
                elif first < 224:
                    if pos + 1 >= end:
                        raise AnsibleFilterError(
                            "openpgp_fingerprints: truncated packet header at offset %d" % start
                        )
                    length = ((first - 192) << 8) + data[pos + 1] + 192
                    pos, partial = pos + 2, False
                elif first == 255:
                    if pos + 4 >= end:
                        raise AnsibleFilterError(
                            "openpgp_fingerprints: truncated packet header at offset %d" % start
                        )
                    length = int.from_bytes(bytes(data[pos + 1:pos + 5]), "big")
                    pos, partial = pos + 5, False
                else:  # partial body length
                    length, pos, partial = 1 << (first & 0x1F), pos + 1, True
                if pos + length > end:
                    raise AnsibleFilterError(
                        "openpgp_fingerprints: packet at offset %d (tag %d) is truncated: %d octets announced, %d left"
                        % (start, tag, length, end - pos)
                    )
                body += data[pos:pos + length]
                pos += length
                if not partial:
                    break
        else:  # old format
            tag = (header >> 2) & 0x0F
            length_type = header & 0x03
            if length_type == 3:  # indeterminate: the rest of the data
                length = end - pos
            else:
                size = 1 << length_type
                if pos + size > end:
                    raise AnsibleFilterError(
                        "openpgp_fingerprints: truncated packet header at offset %d" % start
                    )
                length = int.from_bytes(bytes(data[pos:pos + size]), "big")
                pos += size
            if pos + length > end:
                raise AnsibleFilterError(
                    "openpgp_fingerprints: packet at offset %d (tag %d) is truncated: %d octets announced, %d left"
                    % (start, tag, length, end - pos)
                )
            body = data[pos:pos + length]
            pos += length
        yield tag, bytes(body)


def v4_fingerprint(body):
    """Fingerprint of a v4 public-key packet body, or None for other versions."""
    if not body or bytearray(body)[0] != 4:
        return None
    if len(body) > 0xFFFF:
        raise AnsibleFilterError("openpgp_fingerprints: public-key packet of %d octets is too long for v4" % len(body))
    digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest()  # nosec B324 - RFC 4880 v4 fingerprint
    return digest.upper()


def openpgp_fingerprints(data):
    """Return the v4 primary-key fingerprints found in armored or binary OpenPGP data."""
    if data is None:
        raise AnsibleFilterError("openpgp_fingerprints: expected OpenPGP key data, got None")
    if isinstance(data, (bytes, bytearray)):
        raw = bytes(data)
    elif isinstance(data, str):
        raw = to_bytes(data, errors="surrogate_or_strict")
    else:
        raise AnsibleFilterError(
            "openpgp_fingerprints: expected OpenPGP key data as a string, got %s" % type(data).__name__
        )
    if b"-----BEGIN PGP " in raw:
        blocks = dearmor(to_text(raw, errors="surrogate_or_replace"))
        if not blocks:
            raise AnsibleFilterError("openpgp_fingerprints: found '-----BEGIN PGP ' but no complete armor block")
    else:
        if raw and not bytearray(raw)[0] & 0x80:
            raise AnsibleFilterError(
                "openpgp_fingerprints: neither an ASCII-armored key (no '-----BEGIN PGP' line) nor binary OpenPGP"
                " data; the text starts with %r" % to_text(raw[:40], errors="surrogate_or_replace")
            )
        blocks = [raw]
    fingerprints = []
    for block in blocks:
        for tag, body in iter_packets(block):
            if tag == TAG_PUBLIC_KEY:
                fingerprint = v4_fingerprint(body)
                if fingerprint and fingerprint not in fingerprints:
                    fingerprints.append(fingerprint)
    return fingerprints


class FilterModule(object):
    """wsl.cuda OpenPGP filters."""

    def filters(self):
        return {"openpgp_fingerprints": openpgp_fingerprints}
