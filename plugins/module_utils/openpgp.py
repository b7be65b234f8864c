# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""OpenPGP public-key parsing shared by the openpgp_fingerprints filter and the pinned_key module.

Pure Python (RFC 4880, RFC 9580): dearmor, walk the packets, fingerprint primary keys of every version,
and cut one key's own packets out of a key file (pinned_key_packets), re-armored by armor().
Needs neither gpg nor gpgv. It checks no signature: apt's gpgv does that with the keyring it is given.
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

TAG_SIGNATURE = 2
TAG_SECRET_KEY = 5
TAG_PUBLIC_KEY = 6
TAG_SECRET_SUBKEY = 7
TAG_MARKER = 10
TAG_TRUST = 12
TAG_USER_ID = 13
TAG_PUBLIC_SUBKEY = 14
TAG_USER_ATTRIBUTE = 17
TAG_PADDING = 21
# What a transferable public key may hold (RFC 9580 section 10.1); the marker and padding packets
# carry nothing and are skipped wherever they are.
_KEY_FILE_TAGS = (TAG_SIGNATURE, TAG_PUBLIC_KEY, TAG_TRUST, TAG_USER_ID, TAG_PUBLIC_SUBKEY, TAG_USER_ATTRIBUTE)
_SKIPPED_TAGS = (TAG_MARKER, TAG_PADDING)
_TAG_NAMES = {
    1: "public-key encrypted session key", 2: "signature", 3: "symmetric-key encrypted session key",
    4: "one-pass signature", 5: "secret key", 6: "public key", 7: "secret subkey", 8: "compressed data",
    9: "symmetrically encrypted data", 10: "marker", 11: "literal data", 12: "trust", 13: "user ID",
    14: "public subkey", 17: "user attribute", 18: "encrypted and integrity protected data",
    19: "modification detection code", 20: "AEAD encrypted data", 21: "padding",
}
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


def tag_name(tag):
    """The packet type's name in RFC 9580, with its tag number."""
    return "%s packet (tag %d)" % (_TAG_NAMES.get(tag, "unknown"), tag)


def _mpi_end(body, pos):
    """The offset just after the multiprecision integer at pos (RFC 4880 section 3.2)."""
    if pos + 2 > len(body):
        raise OpenPGPError("truncated key material")
    bits = int.from_bytes(body[pos:pos + 2], "big")
    end = pos + 2 + (bits + 7) // 8
    if end > len(body):
        raise OpenPGPError("truncated key material")
    return end


def _v4_public_length(body):
    """The length of the public part of a v4 key packet body (a secret key starts with it)."""
    algo = bytearray(body)[5]
    pos = 6
    if algo in (1, 2, 3):  # RSA: n, e
        mpis = 2
    elif algo == 16:  # Elgamal: p, g, y
        mpis = 3
    elif algo == 17:  # DSA: p, q, g, y
        mpis = 4
    elif algo in (18, 19, 22):  # ECDH, ECDSA, EdDSA (legacy): OID, point [, KDF parameters]
        if pos >= len(body):
            raise OpenPGPError("truncated key material")
        pos += 1 + bytearray(body)[pos]
        pos = _mpi_end(body, pos)
        if algo == 18:
            if pos >= len(body):
                raise OpenPGPError("truncated key material")
            pos += 1 + bytearray(body)[pos]
        mpis = 0
    elif algo in (25, 26, 27, 28):  # X25519, X448, Ed25519, Ed448: fixed-size keys
        pos += {25: 32, 26: 56, 27: 32, 28: 57}[algo]
        mpis = 0
    else:
        raise OpenPGPError("unknown public-key algorithm %d" % algo)
    for _mpi in range(mpis):
        pos = _mpi_end(body, pos)
    if pos > len(body):
        raise OpenPGPError("truncated key material")
    return pos


def public_part(tag, body):
    """The public-key packet body inside a key packet of any tag (5, 6, 7, 14), or None if unreadable."""
    if tag in (TAG_PUBLIC_KEY, TAG_PUBLIC_SUBKEY):
        return body
    try:
        version = bytearray(body)[0]
        if version in (2, 3):
            return body[:_mpi_end(body, _mpi_end(body, 8))]
        if version == 4:
            return body[:_v4_public_length(body)]
        if version in (5, 6):
            return body[:10 + int.from_bytes(body[6:10], "big")]
    except (IndexError, OpenPGPError):
        return None
    return None


def key_identity(tag, body):
    """(version, fingerprint, key ID) of a key packet; fingerprint and key ID are upper-case hex or None.

    v4: SHA-1 (40 hex); v5 and v6: SHA-256 (64 hex, RFC 9580 section 5.5.4); v2/v3: MD5 over the RSA
    modulus and exponent (32 hex), key ID the modulus' low 64 bits.
    """
    public = public_part(tag, body)
    if not public:
        return (bytearray(body)[0] if body else None), None, None
    version = bytearray(public)[0]
    if version == 4:
        if len(public) > 0xFFFF:
            raise OpenPGPError("public-key packet of %d octets is too long for v4" % len(public))
        digest = hashlib.sha1(b"\x99" + len(public).to_bytes(2, "big") + public).hexdigest()  # nosec B324 - RFC 4880 v4 fingerprint
        return 4, digest.upper(), digest[-16:].upper()
    if version in (5, 6):
        prefix = b"\x9a" if version == 5 else b"\x9b"
        digest = hashlib.sha256(prefix + len(public).to_bytes(4, "big") + public).hexdigest()
        return version, digest.upper(), digest[:16].upper()
    if version in (2, 3):
        try:
            n_end = _mpi_end(public, 8)
            e_end = _mpi_end(public, n_end)
        except OpenPGPError:
            return version, None, None
        n, e = public[10:n_end], public[n_end + 2:e_end]
        digest = hashlib.md5(n + e).hexdigest()  # nosec B324 - RFC 4880 v3 fingerprint, only to name the key
        return version, digest.upper(), binascii.hexlify(n[-8:]).decode().upper()
    return version, None, None


def v4_fingerprint(body):
    """Fingerprint of a v4 public-key packet body, or None for other versions."""
    if not body or bytearray(body)[0] != 4:
        return None
    return key_identity(TAG_PUBLIC_KEY, body)[1]


def describe_key(tag, body):
    """A key packet in words: 'v4 key 0123…', 'v3 key ID 0123… (MD5 fingerprint …)'."""
    version, fingerprint, keyid = key_identity(tag, body)
    if fingerprint is None:
        if version is None:
            return "an empty key packet"
        return "a version %d key whose fingerprint cannot be computed" % version
    if version in (2, 3):
        return "v%d key ID %s (MD5 fingerprint %s)" % (version, keyid, fingerprint)
    return "v%d key %s" % (version, fingerprint)


def binary_blocks(data):
    """The binary OpenPGP data in armored or binary input (text, surrogate-escaped text or bytes)."""
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
        return blocks
    if raw and not bytearray(raw)[0] & 0x80:
        raise OpenPGPError(
            "neither an ASCII-armored key (no '-----BEGIN PGP' line) nor binary OpenPGP"
            " data; the text starts with %r" % to_text(raw[:40], errors="surrogate_or_replace")
        )
    return [raw]


def packets(data):
    """Every (tag, body) in armored or binary input, all armor blocks one after the other."""
    return [packet for block in binary_blocks(data) for packet in iter_packets(block)]


def fingerprints(data):
    """Return the primary-key fingerprints found in armored or binary OpenPGP data, each once.

    v4 keys give 40 hex digits, v5 and v6 keys 64, v2/v3 keys their 32-digit MD5 fingerprint.
    """
    found = []
    for tag, body in packets(data):
        if tag == TAG_PUBLIC_KEY:
            fingerprint = key_identity(tag, body)[1]
            if fingerprint and fingerprint not in found:
                found.append(fingerprint)
    return found


def _subpackets(area):
    """Yield (type, data) of a signature subpacket area (RFC 4880 section 5.2.3.1)."""
    area = bytearray(area)
    pos = 0
    while pos < len(area):
        first = area[pos]
        if first < 192:
            length, pos = first, pos + 1
        elif first < 255:
            if pos + 1 >= len(area):
                return
            length, pos = ((first - 192) << 8) + area[pos + 1] + 192, pos + 2
        else:
            length, pos = int.from_bytes(bytes(area[pos + 1:pos + 5]), "big"), pos + 5
        if length == 0 or pos + length > len(area):
            return
        yield area[pos] & 0x7F, bytes(area[pos + 1:pos + length])
        pos += length


def signature_info(body):
    """(signature type, issuer fingerprints, issuer key IDs) that a signature packet claims.

    Only what the packet says: the signature itself is not verified (gpgv does that).
    """
    body = bytearray(body)
    fprs, keyids = set(), set()
    if not body:
        return None, fprs, keyids
    version = body[0]
    if version in (2, 3) and len(body) >= 15:
        keyids.add(binascii.hexlify(bytes(body[7:15])).decode().upper())
        return body[2], fprs, keyids
    if version not in (4, 5, 6) or len(body) < 6:
        return None, fprs, keyids
    count = 4 if version == 6 else 2
    pos = 4
    areas = []
    for _area in range(2):
        if pos + count > len(body):
            break
        length = int.from_bytes(bytes(body[pos:pos + count]), "big")
        areas.append(body[pos + count:pos + count + length])
        pos += count + length
    for area in areas:
        for kind, data in _subpackets(area):
            if kind == 16 and len(data) == 8:  # issuer key ID
                keyids.add(binascii.hexlify(data).decode().upper())
            elif kind == 33 and len(data) > 1:  # issuer fingerprint: version, fingerprint
                fprs.add(binascii.hexlify(data[1:]).decode().upper())
    return body[1], fprs, keyids


def _issued_by(body, fingerprint):
    """Whether a signature packet claims to be made by the key with this (v4) fingerprint."""
    _sigtype, fprs, keyids = signature_info(body)
    if fprs:
        return fingerprint in fprs
    return fingerprint[-16:] in keyids


def encode_packet(tag, body):
    """A packet with an OpenPGP-format (new) header (RFC 9580 section 4.2.1)."""
    length = len(body)
    if length < 192:
        header = bytes([length])
    elif length < 8384:
        length -= 192
        header = bytes([(length >> 8) + 192, length & 0xFF])
    else:
        header = b"\xff" + length.to_bytes(4, "big")
    return bytes([0xC0 | tag]) + header + bytes(body)


def armor(binary, label="PUBLIC KEY BLOCK"):
    """ASCII armor (RFC 4880 section 6.2) without headers, 64-column lines and the CRC-24 checksum."""
    b64 = to_text(base64.b64encode(binary))
    lines = ["-----BEGIN PGP %s-----" % label, ""]
    lines += [b64[i:i + 64] for i in range(0, len(b64), 64)]
    lines.append("=" + to_text(base64.b64encode(crc24(binary).to_bytes(3, "big"))))
    lines.append("-----END PGP %s-----" % label)
    return "\n".join(lines) + "\n"


def pinned_key_packets(data, pinned):
    """Cut the pinned key's own packets out of armored or binary key data.

    Returns a dict:
      found     every primary-key fingerprint in the data, in file order, each once;
      findings  what the data holds besides the pinned key, in words: another primary key of any
                version, secret-key material, packets that have no place in a public key;
      secret    whether the data holds secret-key material;
      packets   [(tag, body)] of the pinned key (None when the data holds no public key with the
                pinned fingerprint): the primary key, its direct signatures, its user IDs and its
                subkeys, each with the signatures that name the primary as issuer, each once;
      dropped   what of the pinned key was left out, in words: third-party certifications, user
                attributes, subkeys without a binding signature by the primary.
    Signatures are not verified: a forged binding signature keeps its subkey, and gpgv, which apt
    runs with the keyring, rejects that subkey. Raises OpenPGPError when the data is not OpenPGP.
    """
    found, findings, groups = [], [], []
    current, secret = None, False
    for tag, body in packets(data):
        if tag in _SKIPPED_TAGS:
            continue
        if tag in (TAG_SECRET_KEY, TAG_SECRET_SUBKEY):
            secret = True
            fingerprint = key_identity(tag, body)[1]
            what = "of the pinned key itself" if fingerprint == pinned else "of %s" % describe_key(tag, body)
            findings.append("a %s %s" % (tag_name(tag), what))
            current = None
            continue
        if tag not in _KEY_FILE_TAGS:
            findings.append("a %s, which has no place in a public key" % tag_name(tag))
            continue
        if tag == TAG_PUBLIC_KEY:
            fingerprint = key_identity(tag, body)[1]
            if fingerprint and fingerprint not in found:
                found.append(fingerprint)
            if fingerprint == pinned:
                current = []
                groups.append((body, current))
            else:
                findings.append("another primary key, %s" % describe_key(tag, body))
                current = None
            continue
        if current is None:
            if not groups and not found and not findings:
                findings.append("a %s before any public key" % tag_name(tag))
            continue
        current.append((tag, body))
    unique = []
    for finding in findings:
        if finding not in unique:
            unique.append(finding)
    result = {"found": found, "findings": unique, "secret": secret, "packets": None, "dropped": []}
    if not groups:
        return result

    # One primary key; its components (direct signatures under None, user IDs, subkeys) in order,
    # each once, with the signatures the primary claims to have made, each once.
    primary = groups[0][0]
    components, dropped = {}, []
    order = []
    for _body, members in groups:
        component = None
        for tag, body in members:
            if tag == TAG_TRUST:
                continue
            if tag in (TAG_USER_ID, TAG_PUBLIC_SUBKEY, TAG_USER_ATTRIBUTE):
                component = (tag, body)
                if component not in components:
                    components[component] = []
                    order.append(component)
                continue
            # A signature: of the primary (direct, revocation) or of the component before it.
            key = component if component is not None else "direct"
            if key not in components:
                components[key] = []
                order.insert(0, key)
            if not _issued_by(body, pinned):
                sigtype, fprs, keyids = signature_info(body)
                issuer = ", ".join(sorted(fprs or keyids)) or "no issuer"
                dropped.append("a signature made by %s (type 0x%02X)" % (issuer, sigtype or 0))
                continue
            if body not in components[key]:
                components[key].append(body)

    own = [(TAG_PUBLIC_KEY, primary)]
    for key in order:
        sigs = components[key]
        if key == "direct":
            own += [(TAG_SIGNATURE, sig) for sig in sigs]
            continue
        tag, body = key
        if tag == TAG_USER_ATTRIBUTE:
            dropped.append("a user attribute (photo ID)")
            continue
        if tag == TAG_PUBLIC_SUBKEY and not any(signature_info(sig)[0] in (0x18, 0x28) for sig in sigs):
            dropped.append("subkey %s, which has no binding signature by the pinned key"
                           % key_identity(tag, body)[1])
            continue
        own.append((tag, body))
        own += [(TAG_SIGNATURE, sig) for sig in sigs]
    result.update(packets=own, dropped=dropped)
    return result


def serialize(key_packets):
    """Binary OpenPGP data of [(tag, body)]."""
    return b"".join(encode_packet(tag, body) for tag, body in key_packets)
