# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openpgp.pinned_key_packets: the pinned key alone out of a key file, checked with gpg and gpgv.

The keys are made by gpg; the packets gpg cannot make (v3, v5 and v6 keys, a forged binding
signature) are built here byte by byte from gpg's own packets, with this file's encoder, not the
module's.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import zlib

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import openpgp

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("gpgv") is None,
                                reason="gpg and gpgv are needed to make and check test keys")

RELEASE = b"Origin: test\nLabel: test\nSuite: stable\nSHA256:\n 0 0 Packages\n"


def old_packet(tag, body):
    """An old-format packet with a four-octet length, as no encoder in the module writes."""
    return bytes([0x80 | (tag << 2) | 2]) + len(body).to_bytes(4, "big") + body


def armor(binary):
    b64 = base64.b64encode(binary).decode()
    crc = openpgp.crc24(binary).to_bytes(3, "big")
    return ("-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\n"
            + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
            + "\n=" + base64.b64encode(crc).decode() + "\n-----END PGP PUBLIC KEY BLOCK-----\n")


def tags(key_packets):
    return [tag for tag, _body in key_packets]


def mpi(data, pos):
    """(value bytes, end) of the MPI at pos."""
    bits = int.from_bytes(data[pos:pos + 2], "big")
    end = pos + 2 + (bits + 7) // 8
    return data[pos + 2:end], end


def primary_body(gpg, fpr):
    return next(body for tag, body in openpgp.iter_packets(gpg.export(fpr, armor=False)) if tag == 6)


def v3_key(gpg, keys):
    """A v3 RSA key packet with the RSA test key's modulus; its MD5 fingerprint and key ID (RFC 4880 12.2)."""
    v4 = primary_body(gpg, keys["rsa"])
    assert v4[0] == 4 and v4[5] == 1
    n, n_end = mpi(v4, 6)
    e, e_end = mpi(v4, n_end)
    body = b"\x03" + v4[1:5] + b"\x00\x00" + b"\x01" + v4[6:e_end]
    return body, hashlib.md5(n + e).hexdigest().upper(), n[-8:].hex().upper()


def v5_or_v6_key(gpg, keys, version):
    """A v5 or v6 key packet with the ed25519 key's material; its SHA-256 fingerprint (RFC 9580 5.5.4)."""
    v4 = primary_body(gpg, keys["plain"])
    material = v4[6:]
    body = bytes([version]) + v4[1:5] + v4[5:6] + len(material).to_bytes(4, "big") + material
    prefix = b"\x9a" if version == 5 else b"\x9b"
    return body, hashlib.sha256(prefix + len(body).to_bytes(4, "big") + body).hexdigest().upper()


def own_packets(gpg, fpr):
    return list(openpgp.iter_packets(gpg.export(fpr, armor=False)))


def clean(data, pinned):
    checked = openpgp.pinned_key_packets(data, pinned)
    assert checked["findings"] == [], checked
    assert checked["packets"] is not None
    return checked


# -- what is refused ---------------------------------------------------------------------------

def test_another_key_in_the_same_armor_block(gpg, keys):
    data = gpg.export(keys["plain"], keys["rsa"])
    assert data.count(b"BEGIN PGP") == 1
    checked = openpgp.pinned_key_packets(data.decode(), keys["plain"])
    assert checked["findings"] == ["another primary key, v4 key %s" % keys["rsa"]]
    assert checked["found"] == [keys["plain"], keys["rsa"]]


def test_another_key_in_a_second_armor_block(gpg, keys):
    data = gpg.export(keys["plain"]) + b"\n" + gpg.export(keys["with_subkey"])
    assert data.count(b"BEGIN PGP") == 2
    checked = openpgp.pinned_key_packets(data.decode(), keys["plain"])
    assert checked["findings"] == ["another primary key, v4 key %s" % keys["with_subkey"]]


def test_another_key_before_the_pinned_one_in_binary(gpg, keys):
    data = gpg.export(keys["rsa"], armor=False) + gpg.export(keys["plain"], armor=False)
    checked = openpgp.pinned_key_packets(data, keys["plain"])
    assert checked["findings"] == ["another primary key, v4 key %s" % keys["rsa"]]
    assert checked["found"] == [keys["rsa"], keys["plain"]]


def test_v3_primary_key_packet(gpg, keys):
    body, md5, keyid = v3_key(gpg, keys)
    data = armor(gpg.export(keys["plain"], armor=False) + old_packet(6, body))
    checked = openpgp.pinned_key_packets(data, keys["plain"])
    assert checked["findings"] == ["another primary key, v3 key ID %s (MD5 fingerprint %s)" % (keyid, md5)]
    assert checked["found"] == [keys["plain"], md5]


@pytest.mark.parametrize("version", [5, 6])
def test_v5_and_v6_primary_key_packets(gpg, keys, version):
    body, sha256 = v5_or_v6_key(gpg, keys, version)
    data = armor(gpg.export(keys["rsa"], armor=False) + old_packet(6, body))
    checked = openpgp.pinned_key_packets(data, keys["rsa"])
    assert checked["findings"] == ["another primary key, v%d key %s" % (version, sha256)]
    assert checked["found"] == [keys["rsa"], sha256]


@pytest.mark.parametrize("body, words", [(b"", "an empty key packet"),
                                         (b"\x07" + b"\x00" * 20, "a version 7 key whose fingerprint cannot be computed")])
def test_key_packets_of_unknown_versions(gpg, keys, body, words):
    data = gpg.export(keys["plain"], armor=False) + old_packet(6, body)
    assert openpgp.pinned_key_packets(data, keys["plain"])["findings"] == ["another primary key, %s" % words]


def test_an_extra_key_that_gpg_2_2_ignores_is_still_refused(gpg, keys):
    """gpg 2.2 does not list v5 keys; gpg 2.4 (Debian 13's) reads them, so the file is refused either way."""
    body, sha256 = v5_or_v6_key(gpg, keys, 5)
    data = armor(gpg.export(keys["rsa"], armor=False) + old_packet(6, body))
    try:
        listed = gpg.show_keys(data.encode())
    except subprocess.CalledProcessError as exc:  # gpg 2.2 lists the v4 key and exits 2
        listed = gpg.colons_fprs(exc.stdout)
    assert keys["rsa"] in listed
    assert openpgp.pinned_key_packets(data, keys["rsa"])["findings"] == ["another primary key, v5 key %s" % sha256]


def test_secret_key_of_another_key(gpg, keys):
    data = gpg.export(keys["plain"]) + gpg.export_secret(keys["rsa"])
    checked = openpgp.pinned_key_packets(data.decode(), keys["plain"])
    assert checked["secret"] is True
    findings = checked["findings"]
    assert findings[0] == "a secret key packet (tag 5) of v4 key %s" % keys["rsa"]
    assert findings[1].startswith("a secret subkey packet (tag 7) of v4 key ")


def test_secret_key_of_the_pinned_key(gpg, keys):
    findings = openpgp.pinned_key_packets(gpg.export_secret(keys["plain"], armor=False), keys["plain"])["findings"]
    assert findings == ["a secret key packet (tag 5) of the pinned key itself"]


def test_secret_key_of_the_pinned_key_next_to_its_public_key(gpg, keys):
    data = gpg.export(keys["with_subkey"], armor=False) + gpg.export_secret(keys["with_subkey"], armor=False)
    findings = openpgp.pinned_key_packets(data, keys["with_subkey"])["findings"]
    assert findings[0] == "a secret key packet (tag 5) of the pinned key itself"
    assert len(findings) == 2 and "secret subkey packet (tag 7)" in findings[1]


@pytest.mark.parametrize("tag, name", [(8, "compressed data"), (11, "literal data")])
def test_packets_that_have_no_place_in_a_public_key(gpg, keys, tag, name):
    inner = gpg.export(keys["rsa"], armor=False)
    body = b"\x01" + zlib.compress(inner)[2:-4] if tag == 8 else b"b\x00\x00\x00\x00\x00" + inner
    data = gpg.export(keys["plain"], armor=False) + old_packet(tag, body)
    findings = openpgp.pinned_key_packets(data, keys["plain"])["findings"]
    assert findings == ["a %s packet (tag %d), which has no place in a public key" % (name, tag)]


def test_signature_before_any_key(gpg, keys):
    sig = [body for tag, body in own_packets(gpg, keys["plain"]) if tag == 2][0]
    data = old_packet(2, sig) + gpg.export(keys["plain"], armor=False)
    findings = openpgp.pinned_key_packets(data, keys["plain"])["findings"]
    assert findings == ["a signature packet (tag 2) before any public key"]


def test_no_pinned_key(gpg, keys):
    checked = openpgp.pinned_key_packets(gpg.export(keys["rsa"]), keys["plain"])
    assert checked["packets"] is None
    assert checked["found"] == [keys["rsa"]]


# -- what is kept ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["plain", "with_subkey", "rsa", "signing_subkey"])
def test_a_clean_key_keeps_all_its_packets(gpg, keys, name):
    checked = clean(gpg.export(keys[name]).decode(), keys[name])
    assert checked["secret"] is False
    assert checked["packets"] == own_packets(gpg, keys[name])
    assert checked["dropped"] == []


@pytest.mark.parametrize("layout", ["one block", "two blocks", "binary"])
def test_output_holds_the_pinned_key_alone(gpg, keys, tmp_path, layout):
    pinned, other = keys["with_subkey"], keys["rsa"]
    if layout == "one block":
        data = gpg.export(pinned, other)
    elif layout == "two blocks":
        data = gpg.export(other) + gpg.export(pinned)
    else:
        data = gpg.export(pinned, other, armor=False)
    checked = openpgp.pinned_key_packets(data, pinned)
    assert checked["findings"]  # refused as it is ...
    # ... and what would be kept of it is exactly the pinned key's own packets.
    assert checked["packets"] == own_packets(gpg, pinned)
    text = openpgp.armor(openpgp.serialize(checked["packets"]))
    assert text.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n")
    assert text.endswith("-----END PGP PUBLIC KEY BLOCK-----\n")
    back = clean(text, pinned)
    assert back["found"] == [pinned]
    assert tags(back["packets"]) == [6, 13, 2, 14, 2]
    # gpg reads it as one key with its subkey; gpg checks the CRC-24 line too.
    everything = gpg.all_fprs(text.encode())
    assert everything[0] == pinned and len(everything) == 2
    assert gpg.show_keys(text.encode()) == [pinned]
    assert gpg.dearmor(text.encode()) == openpgp.serialize(checked["packets"])


def test_output_verifies_the_pinned_keys_signature_with_gpgv(gpg, keys, tmp_path):
    pinned, other = keys["plain"], keys["rsa"]
    checked = openpgp.pinned_key_packets(gpg.export(pinned, other), pinned)
    keyring = gpg.dearmor(openpgp.armor(openpgp.serialize(checked["packets"])).encode())
    rc, out = gpg.gpgv(keyring, gpg.clearsign(pinned, RELEASE), tmp_path)
    assert rc == 0, out
    assert "VALIDSIG %s" % pinned in out or "GOODSIG" in out
    # The extra key's signature: apt with the file as served trusts it, with the output it does not.
    signed_by_other = gpg.clearsign(other, RELEASE)
    rc, out = gpg.gpgv(gpg.dearmor(gpg.export(pinned, other)), signed_by_other, tmp_path)
    assert rc == 0, "gpgv trusts every key of the served file: %s" % out
    rc, out = gpg.gpgv(keyring, signed_by_other, tmp_path)
    assert rc != 0 and "NO_PUBKEY" in out, out


def test_armor_is_stable_and_has_the_crc(gpg, keys):
    checked = clean(gpg.export(keys["rsa"]), keys["rsa"])
    text = openpgp.armor(openpgp.serialize(checked["packets"]))
    again = openpgp.armor(openpgp.serialize(clean(text, keys["rsa"])["packets"]))
    assert again == text
    lines = text.splitlines()
    binary = openpgp.serialize(checked["packets"])
    assert lines[-2] == "=" + base64.b64encode(openpgp.crc24(binary).to_bytes(3, "big")).decode()
    assert all(len(line) <= 64 for line in lines[2:-2])


def test_the_same_key_twice_is_written_once(gpg, keys):
    data = gpg.export(keys["with_subkey"]) + b"\n" + gpg.export(keys["with_subkey"])
    checked = clean(data, keys["with_subkey"])
    assert checked["packets"] == own_packets(gpg, keys["with_subkey"])


def test_third_party_certifications_are_left_out(gpg, keys, tmp_path):
    certified = gpg.make_key("Certified Key <certified@example.invalid>")
    gpg.run("--default-key", keys["rsa"], "--quick-sign-key", certified)
    exported = own_packets(gpg, certified)
    assert tags(exported) == [6, 13, 2, 2], "gpg should export the self-signature and the certification"
    checked = clean(gpg.export(certified), certified)
    assert tags(checked["packets"]) == [6, 13, 2]
    assert checked["dropped"] == ["a signature made by %s (type 0x10)" % keys["rsa"]]
    assert gpg.show_keys(openpgp.armor(openpgp.serialize(checked["packets"])).encode()) == [certified]


def test_marker_and_trust_packets_are_skipped(gpg, keys):
    data = old_packet(10, b"PGP") + gpg.export(keys["plain"], armor=False) + old_packet(12, b"\x00\x00")
    checked = clean(data, keys["plain"])
    assert checked["packets"] == own_packets(gpg, keys["plain"])


# -- a subkey spliced under the pinned primary -------------------------------------------------

def spliced(gpg, keys):
    """The pinned key with the other key's signing subkey and its binding signature appended."""
    pinned, other = keys["plain"], keys["signing_subkey"]
    theirs = own_packets(gpg, other)
    assert tags(theirs) == [6, 13, 2, 14, 2]
    return pinned, other, own_packets(gpg, pinned) + theirs[3:]


def forge_issuer(sig, fingerprint):
    """The v4 signature with every issuer subpacket (16, 33) rewritten to name fingerprint."""
    sig = bytearray(sig)
    assert sig[0] == 4
    pos = 4
    for _area in range(2):
        length = int.from_bytes(sig[pos:pos + 2], "big")
        sub, end = pos + 2, pos + 2 + length
        while sub < end:
            first = sig[sub]
            if first < 192:
                size, sub = first, sub + 1
            elif first < 255:
                size, sub = ((first - 192) << 8) + sig[sub + 1] + 192, sub + 2
            else:
                size, sub = int.from_bytes(sig[sub + 1:sub + 5], "big"), sub + 5
            kind = sig[sub] & 0x7F
            if kind == 33:
                sig[sub + 2:sub + size] = bytes.fromhex(fingerprint)
            elif kind == 16:
                sig[sub + 1:sub + size] = bytes.fromhex(fingerprint[-16:])
            sub += size
        pos = end
    return bytes(sig)


def test_spliced_subkey_with_the_other_keys_binding_is_left_out_and_gpgv_refuses_it(gpg, keys, tmp_path):
    pinned, other, packets = spliced(gpg, keys)
    subkey = gpg.subkey_fprs(other)[0]
    signed_by_subkey = gpg.clearsign(subkey + "!", RELEASE)
    # Control: the other key's own keyring verifies its subkey's signature.
    rc, out = gpg.gpgv(gpg.export(other, armor=False), signed_by_subkey, tmp_path)
    assert rc == 0, out
    # apt's gpgv, given the spliced file as it is, refuses the subkey: its binding is not the pinned key's.
    rc, out = gpg.gpgv(b"".join(old_packet(t, b) for t, b in packets), signed_by_subkey, tmp_path)
    assert rc != 0, out
    # The filter does not even keep it.
    checked = clean(b"".join(old_packet(t, b) for t, b in packets), pinned)
    assert checked["packets"] == own_packets(gpg, pinned)
    assert checked["dropped"][-1] == "subkey %s, which has no binding signature by the pinned key" % subkey
    assert "a signature made by %s (type 0x18)" % other in checked["dropped"]


def test_spliced_subkey_with_a_forged_binding_is_kept_but_gpgv_refuses_it(gpg, keys, tmp_path):
    """The filter reads who a signature claims to be from, not whether it is true; gpgv checks."""
    pinned, other, packets = spliced(gpg, keys)
    subkey = gpg.subkey_fprs(other)[0]
    packets[-1] = (2, forge_issuer(packets[-1][1], pinned))
    checked = clean(b"".join(old_packet(t, b) for t, b in packets), pinned)
    assert checked["packets"] == packets  # kept: the binding claims the pinned primary
    keyring = gpg.dearmor(openpgp.armor(openpgp.serialize(checked["packets"])).encode())
    rc, out = gpg.gpgv(keyring, gpg.clearsign(subkey + "!", RELEASE), tmp_path)
    assert rc != 0, out
    # The same keyring still verifies the pinned key's own signature.
    rc, out = gpg.gpgv(keyring, gpg.clearsign(pinned, RELEASE), tmp_path)
    assert rc == 0, out


# -- fingerprints of every version -------------------------------------------------------------

def test_fingerprints_lists_every_version(gpg, keys):
    v3, md5, _keyid = v3_key(gpg, keys)
    v5, sha256 = v5_or_v6_key(gpg, keys, 5)
    data = gpg.export(keys["plain"], armor=False) + old_packet(6, v3) + old_packet(6, v5)
    assert openpgp.fingerprints(data) == [keys["plain"], md5, sha256]
