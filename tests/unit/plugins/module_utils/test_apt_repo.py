# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apt_repo.check_repository: real repositories signed by gpg, verified by gpgv, as apt would."""

from __future__ import annotations

import gzip
import hashlib
import shutil

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import apt_repo

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("gpgv") is None,
                                reason="gpg and gpgv are needed to sign and check test repositories")

PACKAGES = (
    "Package: nvidia-container-toolkit\nVersion: 1.17.8-1\nArchitecture: amd64\n\n"
    "Package: nvidia-container-toolkit-base\nVersion: 1.18.0-1\nArchitecture: amd64\n\n"
    "Package: nvidia-container-toolkit\nVersion: 1.18.0-1\nArchitecture: amd64\n"
).encode()


def release(files, extra=""):
    lines = ["Origin: test", "Label: test", extra, "SHA256:"] if extra else ["Origin: test", "Label: test", "SHA256:"]
    for path, data in files.items():
        lines.append(" %s %d %s" % (hashlib.sha256(data).hexdigest(), len(data), path))
    return ("\n".join(lines) + "\n").encode()


def repo(gpg, signer, files, inrelease=True, extra="", base="https://repo.example/stable/deb/amd64/"):
    """{url: bytes} of a signed release directory holding files."""
    served = dict((base + path, data) for path, data in files.items())
    text = release(files, extra)
    if inrelease:
        served[base + "InRelease"] = gpg.clearsign(signer, text)
    else:
        served[base + "Release"] = text
        served[base + "Release.gpg"] = gpg.run("--local-user", signer, "--detach-sign", data=text)
    return served


def fetcher(served):
    def fetch(url):
        if url not in served:
            raise apt_repo.FetchError("HTTP Error 404: Not Found")
        return served[url]
    return fetch


def check(gpg, keys, served, signer_key="plain", indexes=("Packages",), packages=("nvidia-container-toolkit",),
          base="https://repo.example/stable/deb/amd64/", now=None):
    pinned = keys[signer_key]
    return apt_repo.check_repository(fetcher(served), shutil.which("gpgv"), gpg.export(pinned, armor=False), pinned,
                                     base, list(indexes), list(packages), now=now)


@pytest.mark.parametrize("inrelease", [True, False], ids=["InRelease", "Release+Release.gpg"])
@pytest.mark.parametrize("compressed", [True, False], ids=["Packages.gz", "Packages"])
def test_signed_repository_is_usable_and_lists_versions(gpg, keys, inrelease, compressed):
    files = {"Packages.gz": gzip.compress(PACKAGES)} if compressed else {"Packages": PACKAGES}
    result = check(gpg, keys, repo(gpg, keys["plain"], files, inrelease=inrelease))
    assert result["problem"] is None
    assert result["release"] == ("InRelease" if inrelease else "Release")
    assert result["versions"] == {"nvidia-container-toolkit": ["1.17.8-1", "1.18.0-1"]}


def test_signing_subkey_of_the_pinned_key_is_accepted(gpg, keys):
    subkey = gpg.subkey_fprs(keys["signing_subkey"])[0]
    result = check(gpg, keys, repo(gpg, subkey + "!", {"Packages": PACKAGES}), signer_key="signing_subkey")
    assert result["problem"] is None


@pytest.mark.parametrize("inrelease", [True, False], ids=["InRelease", "Release+Release.gpg"])
def test_other_key_is_refused(gpg, keys, inrelease):
    served = repo(gpg, keys["with_subkey"], {"Packages": PACKAGES}, inrelease=inrelease)
    result = check(gpg, keys, served)
    assert result["problem"] == ("InRelease" if inrelease else "Release") + " is signed by another key, not the pinned one"
    assert result["versions"] == {"nvidia-container-toolkit": []}


def test_changed_release_is_refused(gpg, keys):
    served = repo(gpg, keys["plain"], {"Packages": PACKAGES}, inrelease=False)
    served["https://repo.example/stable/deb/amd64/Release"] += b"Extra: field\n"
    result = check(gpg, keys, served)
    assert "bad signature" in result["problem"]


def test_unsigned_inrelease_is_refused(gpg, keys):
    served = {"https://repo.example/stable/deb/amd64/InRelease": release({"Packages": PACKAGES}),
              "https://repo.example/stable/deb/amd64/Packages": PACKAGES}
    result = check(gpg, keys, served)
    assert result["problem"].startswith("InRelease is not signed by the pinned key")


def test_unreachable_repository_says_why(gpg, keys):
    result = check(gpg, keys, {})
    assert result["problem"] == ("does not answer (InRelease: HTTP Error 404: Not Found; "
                                 "Release and Release.gpg: HTTP Error 404: Not Found)")


def test_index_that_does_not_match_its_checksum_is_refused(gpg, keys):
    served = repo(gpg, keys["plain"], {"Packages": PACKAGES})
    served["https://repo.example/stable/deb/amd64/Packages"] = PACKAGES + b"\n"
    assert check(gpg, keys, served)["problem"] == (
        "serves a Packages that does not match the SHA-256 in its signed Release file")


def test_index_the_source_reads_must_be_listed(gpg, keys):
    base = "https://repo.example/linux/debian/dists/bookworm/"
    served = repo(gpg, keys["plain"], {"stable/binary-amd64/Packages": PACKAGES}, base=base)
    assert check(gpg, keys, served, base=base, indexes=["stable/binary-amd64/Packages"])["problem"] is None
    assert check(gpg, keys, served, base=base, indexes=["stable/binary-arm64/Packages"])["problem"] == (
        "has no stable/binary-arm64/Packages in its signed Release file: the source would find no packages there")


def test_listed_index_that_is_not_served(gpg, keys):
    served = repo(gpg, keys["plain"], {"Packages": PACKAGES})
    del served["https://repo.example/stable/deb/amd64/Packages"]
    assert check(gpg, keys, served)["problem"].startswith("lists Packages but does not serve it")


def test_release_past_valid_until_is_refused(gpg, keys):
    served = repo(gpg, keys["plain"], {"Packages": PACKAGES}, extra="Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC")
    assert "is out of date (Valid-Until Sat, 01 Jan 2000 00:00:00 UTC has passed)" in check(gpg, keys, served)["problem"]
    assert check(gpg, keys, served, now=0)["problem"] is None


@pytest.mark.parametrize("text, names, expected", [
    (PACKAGES.decode(), ["nvidia-container-toolkit"], {"nvidia-container-toolkit": ["1.17.8-1", "1.18.0-1"]}),
    (PACKAGES.decode(), ["docker-ce"], {"docker-ce": []}),
    ("Package: a\nVersion: 1\n\nPackage: a\nVersion: 1\n", ["a"], {"a": ["1"]}),
    ("", ["a"], {"a": []}),
])
def test_package_versions(text, names, expected):
    assert apt_repo.package_versions(text, names) == expected


@pytest.mark.parametrize("wanted, expected", [
    ("27.3.1", "5:27.3.1-1~debian.12~bookworm"),
    ("5:27.3.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm"),
    ("27.3.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm"),
    ("27.3", ""),
    ("20.10.24", "5:20.10.24~3-0~debian-bookworm"),
    ("1.17.8", ""),
])
def test_resolve_version(wanted, expected):
    available = ["5:27.3.1-1~debian.12~bookworm", "5:20.10.24~3-0~debian-bookworm"]
    assert apt_repo.resolve_version(available, wanted) == expected


def test_pin_problem_names_the_variable_and_what_there_is():
    assert apt_repo.pin_problem("v", "p", "", [], "u") is None
    assert apt_repo.pin_problem("v", "p", "1.0", ["1.0-1"], "u") is None
    assert apt_repo.pin_problem("nvidia_container_toolkit_version", "nvidia-container-toolkit", "9.9", ["1.17.8-1"],
                                "file:///m/") == (
        "nvidia_container_toolkit_version '9.9' is not in the repository at file:///m/: it has nvidia-container-toolkit"
        " 1.17.8-1. Set nvidia_container_toolkit_version to one of them, or to \"\" for the newest; nothing was written.")
