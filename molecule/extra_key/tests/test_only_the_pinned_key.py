"""After the compromised mirror's cases: nothing of the compromised mirror is trusted.

The last case leaves the keyring the user had (the pinned key and the other one) and no source:
the play refused the repository before writing anything. The play's check agrees with apt: with
the pinned key alone (as the key URL served it), apt refuses the repository signed by the other
key and accepts the genuine mirror.
"""

from __future__ import annotations

import os
import subprocess
import tempfile

import pytest

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
)
REPOS = os.path.join(REPO, ".cache", "testbed", "repos")
KEYRING = "/etc/apt/keyrings/nvidia-container-toolkit.asc"
SOURCE = "/etc/apt/sources.list.d/nvidia-container-toolkit.list"


def _read(name):
    with open(os.path.join(REPOS, name), "rb") as handle:
        return handle.read()


def _gpg_keys(data):
    """[(record, fingerprint)] of pub and sub keys as the controller's gpg lists them."""
    with tempfile.TemporaryDirectory() as home:
        colons = subprocess.run(
            ["gpg", "--homedir", home, "--batch", "--with-colons", "--show-keys"], input=data,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True, timeout=60,
        ).stdout.decode()
    keys, last = [], None
    for line in colons.splitlines():
        fields = line.split(":")
        if fields[0] in ("pub", "sub"):
            last = fields[0]
        elif fields[0] == "fpr":
            keys.append((last, fields[9]))
    return keys


def _apt_update(host, source, lists):
    return host.run(
        "mkdir -p %s/partial && apt-get update -o Dir::Etc::sourcelist=%s -o Dir::Etc::sourceparts=-"
        " -o Dir::State::Lists=%s -o APT::Get::List-Cleanup=0" % (lists, source, lists)
    )


PINNED = "/tmp/verify-pinned.asc"


def test_no_source_and_the_keyring_in_place_untouched(host):
    assert not host.file(SOURCE).exists
    # What the case's setup put there, the pinned key and the other one, byte for byte.
    assert host.run("cmp -s /srv/evil/gpgkey %s" % KEYRING).rc == 0
    wrong = _read("wrong.fingerprint").decode().strip()
    assert wrong in [fpr for record, fpr in _gpg_keys(host.file(KEYRING).content) if record == "pub"]


def _pinned_keyring(host):
    """The pinned key alone, as the key URL serves it, in a keyring of the verifier's own."""
    host.run("cp /srv/mirror/nvidia.github.io/libnvidia-container/gpgkey %s" % PINNED)
    nvidia = _read("nvidia.fingerprint").decode().strip()
    listed = _gpg_keys(host.file(PINNED).content)
    assert [fpr for record, fpr in listed if record == "pub"] == [nvidia]
    return PINNED


def test_apt_refuses_the_repository_signed_by_the_other_key(host):
    wrong_subkey = [fpr for record, fpr in _gpg_keys(_read("wrong.asc")) if record == "sub"][0]
    line = "deb [signed-by=%s] file:///srv/evil/stable/deb/$(ARCH) /" % _pinned_keyring(host)
    host.run("echo %s > /tmp/verify-evil.list" % _quote(line))
    update = _apt_update(host, "/tmp/verify-evil.list", "/tmp/verify-evil-lists")
    output = update.stdout + update.stderr
    assert update.rc != 0, output
    assert "NO_PUBKEY %s" % wrong_subkey[-16:] in output
    assert "is not signed" in output


def test_apt_accepts_the_genuine_repository_with_the_same_keyring(host):
    """Control: the refusal is the signature's, not a broken keyring's."""
    line = "deb [signed-by=%s] file:///srv/mirror/nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /" % _pinned_keyring(host)
    host.run("echo %s > /tmp/verify-genuine.list" % _quote(line))
    update = _apt_update(host, "/tmp/verify-genuine.list", "/tmp/verify-genuine-lists")
    assert update.rc == 0, update.stdout + update.stderr
    assert "NO_PUBKEY" not in update.stdout + update.stderr


def _quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.mark.parametrize("package", ["nvidia-container-toolkit", "docker-ce"])
def test_nothing_installed_from_the_compromised_mirror(host, package):
    assert not host.package(package).is_installed


def test_no_key_in_global_keyrings(host):
    assert not host.file("/etc/apt/trusted.gpg").exists
    assert "nvidia" not in host.run("ls -A /etc/apt/trusted.gpg.d").stdout
