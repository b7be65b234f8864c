#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: image_runs
short_description: Look for a container image, check it against its pin, and run containers of it, in one call
version_added: 0.1.0
description:
  - Asks O(engine) for O(image)'s ID and repo digests (C(image inspect)). When the image is there and O(digest) is
    empty or one of them, runs every command of O(runs), one after the other (those with O(runs[].alongside) at the
    same time as the others), and returns each as
    M(ansible.builtin.command) registers one (C(cmd), C(rc), C(stdout), C(stderr)); a command that fails does not
    fail the module (the caller judges what it printed).
  - An image that is missing, or is not the pinned one, runs nothing; the caller loads or pulls it, or refuses.
    A missing O(engine) reads as a missing image (RV(inspect_error) says so), not as a failure.
  - Meant for smoke tests, which change nothing (each container is run with C(--rm)); it never reports a change,
    and runs in check mode too, so that C(--check) still says whether the GPU works.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  image:
    description: The image, as O(runs) name it.
    type: str
    required: true
  digest:
    description: The image's pinned ID or repo digest (C(sha256:...)); empty runs whatever O(image) is.
    type: str
    default: ""
  runs:
    description: The commands to run when the image is there and matches, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The key of this command's result in RV(runs).
        type: str
        required: true
      argv:
        description: The command, e.g. V([docker, run, --rm, --gpus, all, IMAGE, nbody, -benchmark]).
        type: list
        elements: str
        required: true
      alongside:
        description:
          - Run this command at the same time as the others, from the start, rather than in turn. For a command that
            measures nothing (V(nvidia-smi -L)), so that it does not lengthen the run; a benchmark runs in turn.
        type: bool
        default: false
  engine:
    description: The container engine's command (C(docker), C(podman)) that inspects the image.
    type: str
    default: docker
attributes:
  check_mode:
    support: full
    description: It changes nothing, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing to show.
"""

EXAMPLES = r"""
- name: Run the N-body sample on the GPU, when its image is there and is the pinned one
  wsl.cuda.image_runs:
    image: nvcr.io/nvidia/k8s/cuda-sample:nbody
    digest: sha256:59261e419d6d48a772aad5bb213f9f1588fcdb042b115ceb7166c89a51f03363
    runs:
      - name: gpus
        argv: [docker, run, --rm, --gpus, all, nvcr.io/nvidia/k8s/cuda-sample:nbody, nbody, -gpu, -benchmark]
  register: smoke
"""

RETURN = r"""
present:
  description: The image is there.
  returned: always
  type: bool
ids:
  description: The image's ID and repo digests (empty when it is not there).
  returned: always
  type: list
  elements: str
  sample: ["sha256:59261e419d6d", "sha256:2b1c07e4b5c4"]
digest_matches:
  description: The image is there and O(digest) is empty or one of RV(ids); only then did O(runs) run.
  returned: always
  type: bool
inspect_error:
  description: What the engine said when the image is not there (else empty).
  returned: always
  type: str
runs:
  description: Each command's result by its name (C(cmd), C(rc), C(stdout), C(stderr), C(stdout_lines), C(stderr_lines)); empty when nothing ran.
  returned: always
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils import image_runs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            image=dict(type="str", required=True),
            digest=dict(type="str", default=""),
            runs=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                argv=dict(type="list", elements="str", required=True),
                alongside=dict(type="bool", default=False),
            )),
            engine=dict(type="str", default="docker"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    names = [entry["name"] for entry in params["runs"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="Every command of runs needs its own name, got %s." % ", ".join(names))

    def run(argv):
        # A missing engine (check mode on a distro without Docker yet) is an answer, not a module failure.
        if not (os.path.isabs(argv[0]) and os.access(argv[0], os.X_OK)) and not module.get_bin_path(argv[0]):
            return 127, "", "%s: command not found" % argv[0]
        return module.run_command(argv, check_rc=False)

    module.exit_json(changed=False, **image_runs.run_all(run, params["engine"], params["image"], params["digest"],
                                                         params["runs"]))


if __name__ == "__main__":
    main()
