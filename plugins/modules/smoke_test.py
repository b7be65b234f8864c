#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: smoke_test
short_description: The N-body smoke test in one call, its report included
version_added: 0.2.0
description:
  - Asks Docker for O(image)'s ID and repo digests (C(docker image inspect)). When the image is there and O(digest) is
    empty or one of them, and O(gpu) is set, runs the sample, O(gpu) first, then O(cpu), then every entry of O(paths) in
    order (those with O(paths[].alongside) at the same time as the others), then those with O(paths[].engine=podman)
    when podman is installed. For them, the image Docker has is first copied into podman's store when podman's is
    another one (not in check mode).
  - Judges what ran as the filters M(wsl.cuda.smoke_path) and M(wsl.cuda.nbody_report) do (they share its code,
    C(plugins/module_utils/nbody.py)), and writes the report to O(report) (not in check mode), then returns the
    verdict and the messages. A failed test does not fail the module; the caller asserts RV(passed).
  - An image that is missing, or is not the pinned one, runs nothing and writes no report; the caller loads or pulls
    it, or refuses. A missing Docker reads as a missing image (RV(inspect_error) says so).
  - It never reports a change. The containers are removed, and the report (an output with a timestamp) is not
    configuration. It runs in check mode too, so that C(--check) still says whether the GPU works.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  image:
    description: The image, as the commands name it.
    type: str
    required: true
  digest:
    description: The image's pinned ID or repo digest (C(sha256:...)); empty runs whatever O(image) is.
    type: str
    default: ""
  gpu:
    description:
      - The GPU run, e.g. V([docker, run, --rm, --gpus, all, IMAGE, nbody, -gpu, -benchmark]); the path C(gpus) and the
        report's C(gpu). Empty runs nothing (only the image is looked for).
    type: list
    elements: str
    default: []
  cpu:
    description: The CPU run to compare with (C(-cpu)); empty for none.
    type: list
    elements: str
    default: []
  paths:
    description: The other paths of the test, each a container run judged on its own.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The path's key in the report's C(paths) (C(cdi_docker), C(cdi_podman), C(nvml)).
        type: str
        required: true
      argv:
        description: The command.
        type: list
        elements: str
        required: true
      kind:
        description: What it runs, as M(wsl.cuda.smoke_path) judges it.
        type: str
        choices: [nbody, nvml]
        default: nbody
      alongside:
        description: Run it at the same time as the others, for a command that measures nothing (C(nvidia-smi -L)).
        type: bool
        default: false
      engine:
        description: The engine O(paths[].argv) runs, V(podman) only when podman is installed.
        type: str
        choices: [docker, podman]
        default: docker
  min_gflops:
    description: The floor of the N-body runs.
    type: float
    default: 0
  causes:
    description: Known messages, each C({match, cause, remedy}); the first in a failed run's output is its likely cause.
    type: list
    elements: dict
    default: []
  report:
    description: Where to write the JSON report (its missing directories are created, 0755); empty writes none.
    type: path
    default: ""
  host:
    description: The report's C(host).
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: The containers run; nothing is copied into podman's store and no report is written.
  diff_mode:
    support: none
    description: Nothing to show.
"""

EXAMPLES = r"""
- name: Run the N-body sample, judge it and write its report
  wsl.cuda.smoke_test:
    image: nvcr.io/nvidia/k8s/cuda-sample:nbody
    gpu: [docker, run, --rm, --gpus, all, nvcr.io/nvidia/k8s/cuda-sample:nbody, nbody, -gpu, -benchmark]
    paths:
      - name: nvml
        kind: nvml
        alongside: true
        argv: [docker, run, --rm, --gpus, all, --entrypoint, nvidia-smi, nvcr.io/nvidia/k8s/cuda-sample:nbody, -L]
    min_gflops: 100
    report: /var/lib/wsl-cuda/nbody-report.json
    host: "{{ inventory_hostname }}"
  register: smoke

- name: Check that it passed, and show what it measured
  ansible.builtin.assert:
    that: smoke.passed
    fail_msg: "{{ smoke.failure }}"
    success_msg: "{{ smoke.summary }}"
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
digest_matches:
  description: The image is there and O(digest) is empty or one of RV(ids).
  returned: always
  type: bool
inspect_error:
  description: What Docker said when the image is not there (else empty).
  returned: always
  type: str
ran:
  description: The sample ran (the image is there and matches, and O(gpu) is set); only then are the others set.
  returned: always
  type: bool
runs:
  description: Each command's result by its name (C(gpus), C(cpu), the paths' names), as M(ansible.builtin.command) registers one.
  returned: always
  type: dict
passed:
  description: The GPU run reached O(min_gflops) and every path passed.
  returned: always
  type: bool
report:
  description: The report (schema 1, as C(nbody-report.json) holds it); empty when nothing ran.
  returned: always
  type: dict
failure:
  description: Why the test failed (empty when it passed or did not run), for the caller's error.
  returned: always
  type: str
summary:
  description: What the test measured, when it passed.
  returned: always
  type: str
report_written:
  description: The report file was written (or in check mode would be).
  returned: always
  type: bool
"""

import datetime
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.wsl.cuda.plugins.module_utils import files, nbody


def main():
    module = AnsibleModule(
        argument_spec=dict(
            image=dict(type="str", required=True),
            digest=dict(type="str", default=""),
            gpu=dict(type="list", elements="str", default=[]),
            cpu=dict(type="list", elements="str", default=[]),
            paths=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                argv=dict(type="list", elements="str", required=True),
                kind=dict(type="str", choices=["nbody", "nvml"], default="nbody"),
                alongside=dict(type="bool", default=False),
                engine=dict(type="str", choices=["docker", "podman"], default="docker"),
            )),
            min_gflops=dict(type="float", default=0),
            causes=dict(type="list", elements="dict", default=[]),
            report=dict(type="path", default=""),
            host=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    names = ["gpus", "cpu"] + [entry["name"] for entry in params["paths"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="Every path needs its own name, and gpus and cpu are taken: got %s." % ", ".join(names[2:]))

    def run(argv):
        # A missing engine (check mode on a distro without Docker yet) is an answer, not a module failure.
        if not (os.path.isabs(argv[0]) and os.access(argv[0], os.X_OK)) and not module.get_bin_path(argv[0]):
            return 127, "", "%s: command not found" % argv[0]
        return module.run_command(argv, check_rc=False)

    runs = []
    if params["gpu"]:
        runs = ([{"name": "gpus", "argv": params["gpu"]}] + ([{"name": "cpu", "argv": params["cpu"]}] if params["cpu"] else [])
                + params["paths"])
    found = nbody.run_smoke(run, params["image"], params["digest"], runs, check_mode=module.check_mode)
    result = dict(found, ran=bool(runs) and found["digest_matches"], passed=False, report={}, failure="", summary="",
                  report_written=False)
    if not result["ran"]:
        module.exit_json(changed=False, **result)
    timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    result.update(nbody.judge(found, [{"name": "gpus"}] + params["paths"], min_gflops=params["min_gflops"],
                              causes=params["causes"], compare_cpu=bool(params["cpu"]), report_path=params["report"],
                              check_mode=module.check_mode, timestamp=timestamp, host=params["host"],
                              image=params["image"], command=params["gpu"]))
    if params["report"]:
        data = to_bytes(json.dumps(result["report"], indent=2, sort_keys=True) + "\n")
        try:
            result["report_written"] = files.write_output(params["report"], data, check_mode=module.check_mode)[0]
        except OSError as error:
            module.fail_json(msg=str(error), **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
