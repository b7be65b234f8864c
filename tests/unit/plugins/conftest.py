"""Fixtures shared by the plugin tests: throwaway OpenPGP keys made with gpg."""

from __future__ import annotations

import os
import subprocess

import pytest


class Gpg:
    """A throwaway GnuPG home: make keys, export them, ask gpg for their fingerprints."""

    def __init__(self, home):
        self.home = str(home)
        os.chmod(self.home, 0o700)

    def run(self, *args, data=None):
        env = dict(os.environ, GNUPGHOME=self.home, LC_ALL="C")
        result = subprocess.run(
            ["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""] + list(args),
            input=data, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True, timeout=120,
        )
        return result.stdout

    def make_key(self, uid, algo="ed25519", subkey=None, subkey_usage="encr"):
        self.run("--quick-generate-key", uid, algo, "sign", "never")
        fpr = self.colons_fprs(self.run("--with-colons", "--list-keys", uid))[0]
        if subkey:
            self.run("--quick-add-key", fpr, subkey, subkey_usage, "never")
        return fpr

    def export(self, *fprs, armor=True):
        return self.run(*((["--armor"] if armor else []) + ["--export"] + list(fprs)))

    def export_secret(self, *fprs, armor=True):
        return self.run(*((["--armor"] if armor else []) + ["--export-secret-keys"] + list(fprs)))

    def subkey_fprs(self, fpr):
        return self.colons_fprs(self.run("--with-colons", "--list-keys", fpr), primary_only=False)[1:]

    def clearsign(self, signer, data):
        """An InRelease-style clear-signed text; signer may name a subkey with a trailing '!'."""
        return self.run("--local-user", signer, "--digest-algo", "SHA512", "--clearsign", data=data)

    def dearmor(self, data):
        return self.run("--dearmor", data=data)

    def gpgv(self, keyring_binary, signed, tmp_path):
        """(rc, stderr) of `gpgv --keyring FILE` on signed data, as apt's gpgv method runs it."""
        keyring = tmp_path / ("keyring-%d.gpg" % len(list(tmp_path.iterdir())))
        keyring.write_bytes(keyring_binary)
        env = dict(os.environ, GNUPGHOME=self.home, LC_ALL="C")
        result = subprocess.run(
            ["gpgv", "--keyring", str(keyring), "--status-fd", "1"], input=signed, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=60,
        )
        return result.returncode, result.stdout.decode() + result.stderr.decode()

    def show_keys(self, data):
        """Primary-key fingerprints as `gpg --with-colons --show-keys` prints them."""
        return self.colons_fprs(self.run("--with-colons", "--show-keys", data=data), primary_only=True)

    @staticmethod
    def colons_fprs(colons, primary_only=True):
        fprs, last = [], None
        for line in colons.decode().splitlines():
            fields = line.split(":")
            if fields[0] in ("pub", "sub", "sec", "ssb"):
                last = fields[0]
            elif fields[0] == "fpr" and (not primary_only or last in ("pub", "sec")):
                fprs.append(fields[9])
        return fprs

    def all_fprs(self, data):
        return self.colons_fprs(self.run("--with-colons", "--show-keys", data=data), primary_only=False)


@pytest.fixture(scope="session")
def gpg(tmp_path_factory):
    return Gpg(tmp_path_factory.mktemp("gnupg"))


@pytest.fixture(scope="session")
def keys(gpg):
    """Four keys: ed25519 alone, ed25519 with an encryption subkey, RSA 2048 with a subkey (long packets),
    ed25519 with an ed25519 signing subkey (as a repository's key signs with its subkey)."""
    return {
        "plain": gpg.make_key("Plain Key <plain@example.invalid>"),
        "with_subkey": gpg.make_key("Sub Key <sub@example.invalid>", subkey="cv25519"),
        "rsa": gpg.make_key("RSA Key <rsa@example.invalid>", algo="rsa2048", subkey="rsa2048"),
        "signing_subkey": gpg.make_key("Evil Key <evil@example.invalid>", subkey="ed25519", subkey_usage="sign"),
    }
