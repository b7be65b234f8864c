# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""OpenPGP public-key parsing shared by the openpgp_fingerprints filter and the pinned_key module.

Pure Python (RFC 4880): dearmor, walk the packets, fingerprint v4 primary keys. Needs neither gpg nor gpgv.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from ansible.module_utils.common.text.converters import to_bytes, to_text

ARMOR_HEADER = "-----BEGIN PGP PUBLIC KEY BLOCK-----"


class OpenPGPError(ValueError):
    """The data is not (valid) OpenPGP; the message says what is wrong."""


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
            raise OpenPGPError(
                "the armored block 'PGP %s' is not valid base64: %s" % (label, exc)
            )
        if checksum is not None:
            try:
                expected = int.from_bytes(base64.b64decode(checksum.encode("ascii"), validate=True), "big")
            except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
                raise OpenPGPError(
                    "the armor checksum '=%s' of block 'PGP %s' is not valid base64: %s"
                    % (checksum, label, exc)
                )
            actual = crc24(data)
            if actual != expected:
                raise OpenPGPError(
                    "armor checksum mismatch in block 'PGP %s': the block says %06X,"
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
            raise OpenPGPError(
                "not OpenPGP data: octet 0x%02X at offset %d is not a packet header"
                % (header, start)
            )
        if header & 0x40:  # new format
            tag = header & 0x3F
            body = bytearray()
            while True:
                if pos >= end:
                    raise OpenPGPError(
                        "truncated packet header at offset %d" % start
                    )
                first = data[pos]
                if first < 192:
                    length, pos, partial = first, pos + 1, False
                elif first < 224:
                    if pos + 1 >= end:
                        raise OpenPGPError(
                            "truncated packet header at offset %d" % start
                        )
                    length = ((first - 192) << 8) + data[pos + 1] + 192
                    pos, partial = pos + 2, False
                elif first == 255:
                    if pos + 4 >= end:
                        raise OpenPGPError(
                            "truncated packet header at offset %d" % start
                        )
                    length = int.from_bytes(bytes(data[pos + 1:pos + 5]), "big")
                    pos, partial = pos + 5, False
                else:  # partial body length
                    length, pos, partial = 1 << (first & 0x1F), pos + 1, True
                if pos + length > end:
                    raise OpenPGPError(
                        "packet at offset %d (tag %d) is truncated: %d octets announced, %d left"
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
                    raise OpenPGPError(
                        "truncated packet header at offset %d" % start
                    )
                length = int.from_bytes(bytes(data[pos:pos + size]), "big")
                pos += size
            if pos + length > end:
                raise OpenPGPError(
                    "packet at offset %d (tag %d) is truncated: %d octets announced, %d left"
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
        raise OpenPGPError("public-key packet of %d octets is too long for v4" % len(body))
    digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest()  # nosec B324 - RFC 4880 v4 fingerprint
    return digest.upper()


def fingerprints(data):
    """Return the v4 primary-key fingerprints found in armored or binary OpenPGP data."""
    if data is None:
        raise OpenPGPError("expected OpenPGP key data, got None")
    if isinstance(data, (bytes, bytearray)):
        raw = bytes(data)
    elif isinstance(data, str):
        raw = to_bytes(data, errors="surrogate_or_strict")
    else:
        raise OpenPGPError(
            "expected OpenPGP key data as a string, got %s" % type(data).__name__
        )
    if b"-----BEGIN PGP " in raw:
        blocks = dearmor(to_text(raw, errors="surrogate_or_replace"))
        if not blocks:
            raise OpenPGPError("found '-----BEGIN PGP ' but no complete armor block")
    else:
        if raw and not bytearray(raw)[0] & 0x80:
            raise OpenPGPError(
                "neither an ASCII-armored key (no '-----BEGIN PGP' line) nor binary OpenPGP"
                " data; the text starts with %r" % to_text(raw[:40], errors="surrogate_or_replace")
            )
        blocks = [raw]
    found = []
    for block in blocks:
        for tag, body in iter_packets(block):
            if tag == TAG_PUBLIC_KEY:
                fingerprint = v4_fingerprint(body)
                if fingerprint and fingerprint not in found:
                    found.append(fingerprint)
    return found
