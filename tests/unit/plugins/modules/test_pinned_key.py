# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of wsl.cuda.pinned_key with keys made by gpg, served from files, HTTP and an HTTP proxy."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import threading

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils.openpgp import iter_packets
from ansible_collections.wsl.cuda.plugins.module_utils import pinned_key as pinned_key_utils
from ansible_collections.wsl.cuda.plugins.modules import pinned_key as module

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is needed to make test keys")


def assert_key_alone(gpg, text, fpr):
    """text is ASCII armor (gpg checks its CRC) of the key's own packets, exactly as gpg exports them."""
    assert text.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
    assert list(iter_packets(gpg.dearmor(text.encode()))) == list(iter_packets(gpg.export(fpr, armor=False)))
    assert gpg.show_keys(text.encode()) == [fpr]


@pytest.fixture
def run_main(run_module):
    return lambda args, fails=False: run_module(module.main, args, fails)


@pytest.fixture(scope="module")
def armored(gpg, keys):
    return {name: gpg.export(fpr).decode() for name, fpr in keys.items()}


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves self.server.files by path; as a proxy it sees absolute URLs and records them."""

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.requests = {}, []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_keyring_in_place_is_used_without_fetching(tmp_path, gpg, keys, armored, run_main):
    keyring = tmp_path / "docker.asc"
    keyring.write_text(armored["plain"])
    args = {"url": "file://%s/nothing-here" % tmp_path, "fingerprint": keys["plain"], "keyring": str(keyring)}
    out = run_main(args)
    assert out["changed"] is False
    assert out["fetched"] is False
    assert out["replaced_reason"] == ""
    assert_key_alone(gpg, out["key"], keys["plain"])
    assert out["fingerprints"] == [keys["plain"]]
    # Written as returned, the next run returns the same text: the role's copy changes nothing.
    keyring.write_text(out["key"])
    again = run_main(args)
    assert again["key"] == out["key"] and again["fetched"] is False


@pytest.mark.parametrize("in_place", [None, "with_subkey", "not a key"])
def test_fetched_when_the_keyring_lacks_the_pinned_key(tmp_path, gpg, keys, armored, run_main, in_place):
    served = tmp_path / "gpg"
    served.write_text(armored["rsa"])
    keyring = tmp_path / "keyring.asc"
    if in_place:
        keyring.write_text(armored.get(in_place, in_place))
    out = run_main({"url": "file://%s" % served, "fingerprint": keys["rsa"], "keyring": str(keyring)})
    assert out["fetched"] is True
    assert_key_alone(gpg, out["key"], keys["rsa"])
    assert out["fingerprints"] == [keys["rsa"]]
    if in_place == "with_subkey":
        assert out["replaced_reason"] == "%s does not hold the pinned key" % keyring
    elif in_place:
        assert out["replaced_reason"].startswith("%s is no OpenPGP public key: neither an ASCII-armored key" % keyring)
    else:
        assert out["replaced_reason"] == ""
    assert out["warnings"] == ([] if not in_place else [
        "The keyring in place %s, so it is not used: the pinned key, fetched from file://%s, takes its place once"
        " the repository is checked against it."
        % (out["replaced_reason"], served)])
    assert out["changed"] is False
    if in_place:  # the module only reads
        assert keyring.read_text() == armored.get(in_place, in_place)
    else:
        assert not keyring.exists()


def test_fingerprint_spaces_and_case_do_not_matter(tmp_path, keys, armored, run_main):
    served = tmp_path / "gpg"
    served.write_text(armored["plain"])
    spaced = " ".join(keys["plain"][i:i + 4] for i in range(0, 40, 4)).lower()
    out = run_main({"url": "file://%s" % served, "fingerprint": spaced, "_ansible_check_mode": True})
    assert out["fingerprints"] == [keys["plain"]]


def test_another_key_is_refused_with_both_fingerprints_and_the_hint(tmp_path, keys, armored, run_main):
    served = tmp_path / "gpg"
    served.write_text(armored["with_subkey"])
    out = run_main({"url": "file://%s" % served, "fingerprint": keys["plain"],
                    "fingerprint_option": "nvidia_repo_key_fingerprint",
                    "hint": "If you use a mirror, point nvidia_repo_key_url at its copy."}, fails=True)
    assert out["msg"] == (
        "The key served at file://%s is not the pinned one, so nothing was trusted or written."
        " Expected nvidia_repo_key_fingerprint = %s; found %s."
        " If you use a mirror, point nvidia_repo_key_url at its copy." % (served, keys["plain"], keys["with_subkey"]))
    assert out["fingerprints"] == [keys["with_subkey"]]
    assert out["expected"] == keys["plain"]


@pytest.mark.parametrize("text, note", [
    ("<html><body>404 Not Found</body></html>", "the file is no OpenPGP public key: neither an ASCII-armored key"),
    ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----\n",
     "the file is no OpenPGP public key: the armored block 'PGP PUBLIC KEY BLOCK' is not valid base64"),
])
def test_a_page_that_is_no_key_is_refused(tmp_path, keys, run_main, text, note):
    served = tmp_path / "gpg"
    served.write_text(text)
    out = run_main({"url": "file://%s" % served, "fingerprint": keys["plain"]}, fails=True)
    assert "is not the pinned one" in out["msg"]
    assert "found no OpenPGP public key (%s" % note in out["msg"]


def test_a_fingerprint_that_is_not_40_hex_digits_is_refused(run_main):
    out = run_main({"url": "file:///nonexistent", "fingerprint": "0EBFCD88",
                    "fingerprint_option": "docker_engine_repo_key_fingerprint"}, fails=True)
    assert out["msg"].startswith("docker_engine_repo_key_fingerprint must be the 40 hex digits")


def test_a_missing_file_url_says_it_could_not_fetch(tmp_path, keys, run_main):
    out = run_main({"url": "file://%s/gpg" % tmp_path, "fingerprint": keys["plain"]}, fails=True)
    assert out["msg"].startswith("Could not fetch the key from file://%s/gpg: " % tmp_path)
    assert "nothing was trusted or written" in out["msg"]


def test_http_404_says_it_could_not_fetch(server, keys, run_main):
    url = "http://127.0.0.1:%d/gpgkey" % server.server_port
    out = run_main({"url": url, "fingerprint": keys["plain"]}, fails=True)
    assert out["msg"].startswith("Could not fetch the key from %s: " % url)
    assert out["status"] == 404


def test_http_key_is_fetched(server, gpg, keys, armored, run_main):
    server.files["/linux/debian/gpg"] = armored["plain"].encode()
    out = run_main({"url": "http://127.0.0.1:%d/linux/debian/gpg" % server.server_port, "fingerprint": keys["plain"]})
    assert out["fetched"] is True
    assert_key_alone(gpg, out["key"], keys["plain"])


def test_the_http_proxy_of_the_environment_is_used(server, gpg, keys, armored, run_main, monkeypatch):
    # mirror.invalid resolves nowhere: only the proxy can answer for it.
    server.files["http://mirror.invalid/gpgkey"] = armored["plain"].encode()
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:%d" % server.server_port)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    out = run_main({"url": "http://mirror.invalid/gpgkey", "fingerprint": keys["plain"]})
    assert_key_alone(gpg, out["key"], keys["plain"])
    assert server.requests == ["http://mirror.invalid/gpgkey"]


def test_the_proxy_of_the_option_is_used_and_not_logged(server, gpg, keys, armored, run_main, monkeypatch):
    # The module sets the proxy in its own process: keep the test's environment as it was.
    monkeypatch.setattr(os, "environ", os.environ.copy())
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
        os.environ.pop(name, None)
    server.files["http://mirror.invalid/gpgkey"] = armored["plain"].encode()
    proxy = "http://someone:s3cret-proxy-pw@127.0.0.1:%d" % server.server_port
    out = run_main({"url": "http://mirror.invalid/gpgkey", "fingerprint": keys["plain"],
                    "proxy_env": {"http_proxy": proxy, "no_proxy": "localhost", "PATH": "/nowhere"}})
    assert_key_alone(gpg, out["key"], keys["plain"])
    assert server.requests == ["http://mirror.invalid/gpgkey"]
    assert "s3cret-proxy-pw" not in json.dumps(out)
    # Only proxy variables are taken from the option.
    assert os.environ.get("PATH") != "/nowhere"


def test_proxy_settings_keep_only_proxy_variables():
    given = {"https_proxy": "http://p:3128", "NO_PROXY": "a,b", "http_proxy": "", "LD_PRELOAD": "/x.so"}
    assert pinned_key_utils.proxy_settings(given) == {"https_proxy": "http://p:3128", "NO_PROXY": "a,b"}
    assert pinned_key_utils.proxy_settings(None) == {}


# -- a key file that holds more than the pinned key (issue 10) ---------------------------------

def served_with_extra(gpg, keys, layout):
    pinned, other = keys["with_subkey"], keys["rsa"]
    if layout == "one armor block":
        return gpg.export(pinned, other)
    if layout == "two armor blocks":
        return gpg.export(pinned) + b"\n" + gpg.export(other)
    return gpg.export(other, pinned, armor=False)


@pytest.mark.parametrize("layout", ["one armor block", "two armor blocks", "binary"])
def test_a_served_file_with_another_key_is_refused(tmp_path, gpg, keys, run_main, layout):
    served = tmp_path / "gpgkey"
    served.write_bytes(served_with_extra(gpg, keys, layout))
    out = run_main({"url": "file://%s" % served, "fingerprint": keys["with_subkey"],
                    "fingerprint_option": "nvidia_repo_key_fingerprint", "hint": "Not for this case."}, fails=True)
    assert out["msg"] == (
        "The key file served at file://%s holds more than the pinned key nvidia_repo_key_fingerprint = %s,"
        " so nothing was trusted or written: it also holds another primary key, v4 key %s. apt trusts every key"
        " in a signed-by keyring, so each of them could sign this repository's packages. Serve a file that holds"
        " the pinned key alone (gpg --armor --export %s), or point the key URL at one."
        % (served, keys["with_subkey"], keys["rsa"], keys["with_subkey"]))
    assert out["findings"] == ["another primary key, v4 key %s" % keys["rsa"]]
    assert sorted(out["fingerprints"]) == sorted([keys["with_subkey"], keys["rsa"]])
    assert "key" not in out


def test_a_served_file_with_a_secret_key_is_refused(tmp_path, gpg, keys, run_main):
    served = tmp_path / "gpgkey"
    served.write_bytes(gpg.export(keys["plain"]) + gpg.export_secret(keys["plain"]))
    out = run_main({"url": "file://%s" % served, "fingerprint": keys["plain"]}, fails=True)
    assert "it also holds a secret key packet (tag 5) of the pinned key itself" in out["msg"]
    assert out["msg"].endswith(" Whoever can read that file holds the secret key it carries: treat that key as"
                               " compromised and tell the file's owner.")
    assert "file://%s" % served in out["msg"]


def test_a_binary_key_file_is_returned_armored(tmp_path, gpg, keys, run_main):
    served = tmp_path / "gpgkey"
    served.write_bytes(gpg.export(keys["rsa"], armor=False))
    out = run_main({"url": "file://%s" % served, "fingerprint": keys["rsa"]})
    assert_key_alone(gpg, out["key"], keys["rsa"])


def test_a_keyring_in_place_with_another_key_is_replaced(tmp_path, gpg, keys, armored, run_main):
    pinned, other = keys["with_subkey"], keys["rsa"]
    served = tmp_path / "gpgkey"
    served.write_text(armored["with_subkey"])
    keyring = tmp_path / "nvidia-container-toolkit.asc"
    keyring.write_bytes(served_with_extra(gpg, keys, "two armor blocks"))
    before = keyring.read_bytes()
    out = run_main({"url": "file://%s" % served, "fingerprint": pinned, "keyring": str(keyring)})
    assert out["fetched"] is True
    assert out["replaced_reason"] == "%s also holds another primary key, v4 key %s" % (keyring, other)
    assert out["warnings"] == [
        "The keyring in place %s also holds another primary key, v4 key %s. apt would trust all of it for this"
        " repository, so it is not used: the pinned key alone, fetched again from file://%s, takes its place once the"
        " repository is checked against it." % (keyring, other, served)]
    assert_key_alone(gpg, out["key"], pinned)
    assert keyring.read_bytes() == before  # the module only reads; the role writes out["key"]


def test_a_keyring_in_place_with_another_key_and_a_bad_served_file_fail(tmp_path, gpg, keys, run_main):
    served = tmp_path / "gpgkey"
    served.write_bytes(served_with_extra(gpg, keys, "one armor block"))
    keyring = tmp_path / "keyring.asc"
    keyring.write_bytes(served_with_extra(gpg, keys, "binary"))
    out = run_main({"url": "file://%s" % served, "fingerprint": keys["with_subkey"], "keyring": str(keyring)}, fails=True)
    assert out["msg"].startswith("The key file served at file://%s holds more than the pinned key" % served)
    assert out["msg"].endswith(" The keyring in place was not kept either: %s also holds another primary key, v4 key %s."
                               % (keyring, keys["rsa"]))


def test_gpgv_with_the_returned_key_refuses_the_extra_keys_signature(tmp_path, gpg, keys, armored, run_main):
    """As apt would run it: the keyring written from out["key"] trusts the pinned key and no other."""
    pinned, other = keys["with_subkey"], keys["rsa"]
    keyring = tmp_path / "keyring.asc"
    keyring.write_bytes(served_with_extra(gpg, keys, "one armor block"))
    served = tmp_path / "gpgkey"
    served.write_text(armored["with_subkey"])
    out = run_main({"url": "file://%s" % served, "fingerprint": pinned, "keyring": str(keyring)})
    release = b"Origin: test\nSuite: stable\n"
    evil = gpg.clearsign(other, release)
    rc, log = gpg.gpgv(gpg.dearmor(keyring.read_bytes()), evil, tmp_path)
    assert rc == 0, "the keyring in place trusts the extra key: %s" % log
    rc, log = gpg.gpgv(gpg.dearmor(out["key"].encode()), evil, tmp_path)
    assert rc != 0 and "NO_PUBKEY" in log, log
