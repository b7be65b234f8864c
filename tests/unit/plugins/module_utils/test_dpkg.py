# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dpkg's status file as every module reads it (plugins/module_utils/dpkg.py)."""

from __future__ import annotations

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import dpkg

STATUS = """Package: docker-ce
Status: install ok installed
Architecture: amd64
Version: 5:27.3.1-1~debian.12~bookworm
Description: Docker
 Package: not-a-stanza
 .
Conffiles:
 /etc/default/docker 1234

Package: libnvidia-container1
Status: deinstall ok not-installed
Architecture: i386
Version: 1.17.8-1

Package: libnvidia-container1
Status: hold  ok  installed
Architecture: amd64
Version: 1.17.8-1
\t
Description: a stanza without a name
Status: install ok installed
"""


def test_stanzas_skip_continuation_lines_and_nameless_stanzas():
    stanzas = dpkg.parse_stanzas(STATUS)
    assert [s["package"] for s in stanzas] == ["docker-ce", "libnvidia-container1", "libnvidia-container1"]
    assert stanzas[0]["conffiles"] == ""
    assert "not-a-stanza" not in str(stanzas)


def test_no_text_has_no_stanzas():
    assert dpkg.parse_stanzas(None) == [] and dpkg.parse_stanzas("") == []


@pytest.mark.parametrize("status, installed", [
    ("install ok installed", True),
    ("hold ok installed", True),
    ("deinstall ok installed", True),     # marked for removal, still there
    ("install ok unpacked", False),
    ("install ok half-configured", False),
    ("deinstall ok config-files", False),
    ("purge ok not-installed", False),
    ("installed", False),
    ("", False),
    (None, False),
])
def test_installed_is_the_state_word(status, installed):
    assert dpkg.is_installed(status) is installed


def test_packages_keep_the_installed_stanza_and_normalise_status():
    found = dpkg.packages(STATUS)
    assert found["libnvidia-container1"] == {"status": "hold ok installed", "version": "1.17.8-1",
                                             "architecture": "amd64"}
    assert set(dpkg.packages(STATUS, {"docker-ce", "absent"})) == {"docker-ce"}
