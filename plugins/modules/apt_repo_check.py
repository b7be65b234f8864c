#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apt_repo_check
short_description: Check that an apt repository answers and is signed by its pinned key, before its source is written
version_added: 0.3.0
description:
  - For each release directory in O(repositories) (Docker's C(<url>/dists/<codename>/), one of NVIDIA's flat
    C(<base>/<channel>/deb/<arch>/)), fetches C(InRelease), or C(Release) and C(Release.gpg), verifies it with
    C(gpgv) against O(key) alone and checks that its primary-key fingerprint is O(fingerprint), that it is not
    past its C(Valid-Until), that it lists each package index of the entry's C(indexes) and that the index
    served matches the SHA-256 listed there.
  - Reads the versions of O(packages) from those indexes, so that a pinned version can be checked before
    the source exists (RV(versions)).
  - When O(source) already holds exactly O(source_lines) and O(packages) is empty, nothing is fetched (the
    source in place was checked when it was written, and apt reads it already), so a second run makes no
    network request.
  - Fails when any repository is not usable, with one problem per repository in RV(problems), each naming
    the entry's C(variable), the URL and the reason. The module writes nothing.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  key:
    description:
      - The pinned key, ASCII-armored (the C(key) that M(wsl.cuda.pinned_key) returns).
      - Either O(key) or O(key_url) is required.
    type: str
  key_url:
    description:
      - Where the repository publishes its key. The key is then taken from O(keyring) or fetched from here and
        checked against O(fingerprint) exactly as M(wsl.cuda.pinned_key) does it (its options O(keyring),
        O(fingerprint_option), O(hint) apply), and returned as RV(key); a key that is not the pinned one alone
        fails the module with M(wsl.cuda.pinned_key)'s message. One module call then checks the key and the
        repository.
    type: str
  keyring:
    description: With O(key_url), the keyring in place (see M(wsl.cuda.pinned_key)).
    type: path
  fingerprint_option:
    description: With O(key_url), the caller's setting for O(fingerprint), named in the failure message.
    type: str
    default: fingerprint
  hint:
    description: With O(key_url), sentences appended to the failure message when the served key is not the pinned one.
    type: str
    default: ""
  fingerprint:
    description: The pinned primary-key fingerprint, 40 hex digits; spaces and case are ignored.
    type: str
    required: true
  repositories:
    description:
      - The release directories the source will name, each the URL of the directory that holds C(InRelease) or
        C(Release) (C(https://), C(http://) or C(file://)), or a dict with C(url) and, to override O(indexes) and
        O(variable) for that directory, C(indexes) and C(variable).
    type: list
    elements: raw
    required: true
  indexes:
    description: The package indexes the source reads, relative to each repository URL, without compression suffix.
    type: list
    elements: str
    default: [Packages]
  variable:
    description: The variable the user sets to change these URLs; every problem names it.
    type: str
    required: true
  packages:
    description: Package names whose versions RV(versions) lists.
    type: list
    elements: str
    default: []
  pins:
    description:
      - Pinned versions to find in the indexes; each adds its package to O(packages). A version names the full
        version, the same without its epoch, or only the upstream version (C(27.3.1)).
      - An empty C(version) pins nothing.
    type: list
    elements: dict
    default: []
    suboptions:
      package:
        description: The package.
        type: str
        required: true
      version:
        description: The pinned version.
        type: str
        default: ""
      variable:
        description: The variable that pins it; its problem names it.
        type: str
        required: true
  source:
    description: The apt source file the caller would write.
    type: path
  source_lines:
    description: The C(deb) lines of O(source) (comments aside) the caller would write.
    type: list
    elements: str
    default: []
  setup:
    description:
      - The options, besides the checked key, O(keyring) and O(source), that M(wsl.cuda.apt_repository) will be called
        with after this check. The module then works out, as that module's check mode does, whether that call would
        change anything (RV(setup_needed)), so that a caller can skip it when the keyring, the source and apt's lists
        are already in place and nothing of the earlier setup is left. Needs O(keyring) and O(source).
    type: dict
    suboptions:
      content:
        description: The source file's text.
        type: str
        required: true
      remove_sources:
        description: Source files of an earlier setup the call would remove.
        type: list
        elements: path
        default: []
      remove_keys:
        description: Fingerprints the call would take out of apt's global trust.
        type: list
        elements: str
        default: []
      global_keyring:
        description: apt-key's global keyring.
        type: path
        default: /etc/apt/trusted.gpg
      global_keyring_dir:
        description: The directory of globally trusted keyring fragments.
        type: path
        default: /etc/apt/trusted.gpg.d
  proxy_env:
    description:
      - Proxy variables for the downloads (as the fact C(proxy_environment) of the C(wsl.cuda.proxy) role),
        set in the module's own process only. Not logged.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for each download.
    type: int
    default: 30
  validate_certs:
    description: Whether HTTPS certificates are checked.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Writes nothing.
notes:
  - Uses C(gpgv), or C(sqv) where apt verifies with it (Debian 13 and newer).
"""

EXAMPLES = r"""
- name: Check Docker's repository before its source is written
  wsl.cuda.apt_repo_check:
    key: "{{ __docker_key.key }}"
    fingerprint: 9DC858229FC7DD38854AE2D88D81803C0EBFCD88
    repositories: [https://download.docker.com/linux/debian/dists/bookworm/]
    indexes: [stable/binary-amd64/Packages]
    variable: docker_engine_repo_url
    pins:
      - package: docker-ce
        version: "27.3.1"
        variable: docker_engine_version
  register: __docker_repo
"""

RETURN = r"""
repositories:
  description: One result per entry of O(repositories).
  returned: always
  type: list
  elements: dict
  sample: [{url: "https://download.docker.com/linux/debian/dists/bookworm/", variable: docker_engine_repo_url,
            release: InRelease, problem: null, versions: {docker-ce: ["5:27.3.1-1~debian.12~bookworm"]}}]
resolved:
  description: Per pinned package (O(pins) with a version), the version it resolved to.
  returned: always
  type: dict
  sample: {docker-ce: "5:27.3.1-1~debian.12~bookworm"}
versions:
  description: The versions of each of O(packages) over all repositories, in index order.
  returned: always
  type: dict
  sample: {docker-ce: ["5:27.3.1-1~debian.12~bookworm", "5:27.3.0-1~debian.12~bookworm"]}
problems:
  description: One sentence per unusable repository, naming its variable, URL and reason; empty on success.
  returned: always
  type: list
  elements: str
  sample: ["nvidia_repo_base_url: the repository at https://example.com/stable/deb/amd64/ does not answer (...)"]
key:
  description: With O(key_url), the pinned key alone, ASCII-armored (M(wsl.cuda.pinned_key)'s RV(key)).
  returned: success, with O(key_url)
  type: str
key_fetched:
  description: With O(key_url), whether the key was fetched (false when O(keyring) already held it alone).
  returned: success, with O(key_url)
  type: bool
key_replaced_reason:
  description: With O(key_url), why the keyring in place was not kept (M(wsl.cuda.pinned_key)'s C(replaced_reason)).
  returned: success, with O(key_url)
  type: str
source_in_place:
  description: Whether nothing was fetched because O(source) already holds O(source_lines).
  returned: always
  type: bool
  sample: false
setup_needed:
  description:
    - With O(setup), whether M(wsl.cuda.apt_repository) with those options and the checked key would write or remove
      anything or run C(apt-get update) (its lists are looked up with C(apt-get indextargets), no network request).
  returned: success, with O(setup)
  type: bool
  sample: false
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils.apt_repo_check import ARGUMENT_SPEC, CONSTRAINTS, Refused, check


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **CONSTRAINTS)
    try:
        result = check(module, module.params)
    except Refused as refused:
        module.fail_json(**refused.result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
