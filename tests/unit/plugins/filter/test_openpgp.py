"""Unit tests of the wsl.cuda.openpgp_fingerprints filter against what gpg itself reports."""

from __future__ import annotations

import base64
import hashlib
import shutil

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.wsl.cuda.plugins.filter.openpgp import FilterModule, openpgp_fingerprints
from ansible_collections.wsl.cuda.plugins.module_utils.openpgp import crc24, iter_packets

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is needed to make test keys")


def new_format(binary, long_lengths=False, partial=False):
    """Re-encode every packet of binary with a new-format header (RFC 4880 section 4.2.2)."""
    out = bytearray()
    for tag, body in iter_packets(binary):
        out.append(0xC0 | tag)
        if partial and len(body) > 512:
            # Partial body lengths: one 512-octet chunk, then the rest with a five-octet length.
            out.append(224 + 9)
            out += body[:512]
            body = body[512:]
            out.append(255)
            out += len(body).to_bytes(4, "big")
        elif long_lengths:
            out.append(255)
            out += len(body).to_bytes(4, "big")
        elif len(body) < 192:
            out.append(len(body))
        else:
            length = len(body) - 192
            out += bytes([(length >> 8) + 192, length & 0xFF])
        out += body
    return bytes(out)


def armor(binary, checksum=True, headers=("Comment: test",), newline="\n"):
    b64 = base64.b64encode(binary).decode()
    lines = ["-----BEGIN PGP PUBLIC KEY BLOCK-----"] + list(headers) + [""]
    lines += [b64[i:i + 64] for i in range(0, len(b64), 64)]
    if checksum:
        lines.append("=" + base64.b64encode(crc24(binary).to_bytes(3, "big")).decode())
    lines.append("-----END PGP PUBLIC KEY BLOCK-----")
    return newline.join(lines) + newline


@pytest.mark.parametrize("name", ["plain", "with_subkey", "rsa"])
def test_armored_key_matches_gpg(gpg, keys, name):
    data = gpg.export(keys[name])
    assert openpgp_fingerprints(data.decode()) == gpg.show_keys(data) == [keys[name]]


@pytest.mark.parametrize("name", ["with_subkey", "rsa"])
def test_subkey_is_not_listed(gpg, keys, name):
    data = gpg.export(keys[name])
    everything = gpg.all_fprs(data)
    assert len(everything) == 2, "gpg should show a primary key and a subkey"
    assert openpgp_fingerprints(data.decode()) == [everything[0]]
    assert everything[1] not in openpgp_fingerprints(data.decode())


def test_two_keys_in_one_file(gpg, keys):
    data = gpg.export(keys["with_subkey"], keys["rsa"])
    expected = gpg.show_keys(data)
    assert len(expected) == 2
    assert openpgp_fingerprints(data.decode()) == expected


def test_two_armor_blocks_in_one_file(gpg, keys):
    data = gpg.export(keys["plain"]) + b"\n" + gpg.export(keys["rsa"])
    assert openpgp_fingerprints(data.decode()) == [keys["plain"], keys["rsa"]]


def test_same_key_twice_listed_once(gpg, keys):
    data = gpg.export(keys["plain"]) + gpg.export(keys["plain"])
    assert openpgp_fingerprints(data.decode()) == [keys["plain"]]


def test_binary_bytes_and_surrogate_text(gpg, keys):
    binary = gpg.export(keys["plain"], keys["rsa"], armor=False)
    expected = gpg.show_keys(binary)
    assert openpgp_fingerprints(binary) == expected
    # What `slurp` content | b64decode hands a filter: text with surrogate escapes.
    assert openpgp_fingerprints(binary.decode("utf-8", "surrogateescape")) == expected


@pytest.mark.parametrize("kwargs", [{}, {"long_lengths": True}, {"partial": True}], ids=["short", "five-octet", "partial"])
def test_new_format_headers(gpg, keys, kwargs):
    binary = gpg.export(keys["with_subkey"], keys["rsa"], armor=False)
    assert bytearray(binary)[0] & 0x40 == 0, "gpg exports old-format headers; the test relies on that"
    converted = new_format(binary, **kwargs)
    assert converted != binary
    expected = gpg.show_keys(binary)
    assert openpgp_fingerprints(converted) == expected
    assert openpgp_fingerprints(armor(converted)) == expected
    if not kwargs.get("partial"):  # gpg rejects partial lengths on key packets, as RFC 4880 says
        assert gpg.show_keys(converted) == expected


def test_armor_variants(gpg, keys):
    binary = gpg.export(keys["plain"], armor=False)
    assert openpgp_fingerprints(armor(binary, checksum=False, headers=())) == [keys["plain"]]
    assert openpgp_fingerprints(armor(binary, newline="\r\n")) == [keys["plain"]]
    text = "Some prose before the key.\n" + armor(binary) + "and after.\n"
    assert openpgp_fingerprints(text) == [keys["plain"]]


def test_armor_checksum_mismatch(gpg, keys):
    text = armor(gpg.export(keys["plain"], armor=False))
    lines = text.splitlines()
    crc_index = [i for i, line in enumerate(lines) if line.startswith("=")][0]
    lines[crc_index] = "=AAAA" if lines[crc_index] != "=AAAA" else "=AAAB"
    with pytest.raises(AnsibleFilterError, match="checksum mismatch"):
        openpgp_fingerprints("\n".join(lines))


def test_damaged_base64(gpg, keys):
    text = gpg.export(keys["plain"]).decode().replace("\n\n", "\n\n!!", 1)
    with pytest.raises(AnsibleFilterError, match="not valid base64"):
        openpgp_fingerprints(text)


def test_truncated_packet(gpg, keys):
    binary = gpg.export(keys["rsa"], armor=False)
    with pytest.raises(AnsibleFilterError, match="truncated"):
        openpgp_fingerprints(binary[:100])


@pytest.mark.parametrize("text", ["<html><body>404 Not Found</body></html>", "just text"])
def test_not_openpgp(text):
    with pytest.raises(AnsibleFilterError, match="neither an ASCII-armored key"):
        openpgp_fingerprints(text)


@pytest.mark.parametrize("value", [None, 42, ["a"]])
def test_wrong_type(value):
    with pytest.raises(AnsibleFilterError):
        openpgp_fingerprints(value)


def test_keys_of_other_versions_are_listed(gpg, keys):
    """A v5 key (SHA-256 fingerprint) next to a v4 one: the filter must not make the file look cleaner."""
    v4 = next(body for tag, body in iter_packets(gpg.export(keys["plain"], armor=False)) if tag == 6)
    v5 = b"\x05" + v4[1:6] + len(v4[6:]).to_bytes(4, "big") + v4[6:]
    packet = bytes([0xC0 | 6, len(v5)]) + v5
    sha256 = hashlib.sha256(b"\x9a" + len(v5).to_bytes(4, "big") + v5).hexdigest().upper()
    data = gpg.export(keys["rsa"], armor=False) + packet
    assert openpgp_fingerprints(data) == [keys["rsa"], sha256]
    assert openpgp_fingerprints(armor(data)) == [keys["rsa"], sha256]


def test_empty_data_has_no_keys():
    assert openpgp_fingerprints(b"") == []


def test_crc24_reference():
    # Value from RFC 4880's reference implementation for the empty input: the initial value.
    assert crc24(b"") == 0xB704CE


def test_filter_registered():
    assert FilterModule().filters()["openpgp_fingerprints"] is openpgp_fingerprints
