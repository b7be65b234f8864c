# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: nbody_report
short_description: The N-body smoke test's JSON report (C(nbody-report.json)) and why the GPU run failed
version_added: 0.2.0
author: wsl.cuda maintainers
description:
  - C(nbody_report) puts the report of the role C(wsl.cuda.nbody_smoke) together from the parsed GPU run
    (M(wsl.cuda.nbody_results)), its registered container run and the other paths (M(wsl.cuda.smoke_path)).
    Numbers, booleans and nulls keep their types. C(gpu_cpu_ratio) is the GPU's GFLOP/s over the CPU's, rounded to
    one decimal, when the CPU was measured and both runs gave a result; C(all_passed) is true when every path passed.
  - C(nbody_failure) (in this file too) takes the same parsed GPU run and says in one phrase why it did not pass,
    for the role's error message.
positional: _input
options:
  _input:
    description: The parsed GPU run (M(wsl.cuda.nbody_results) of the container's output).
    type: dict
    required: true
  run:
    description: The registered container run of the GPU (C(rc)).
    type: dict
    required: true
  passed:
    description: Whether the GPU run passed (C(nbody_report) only).
    type: bool
  cause:
    description: The known cause of a failure, C({cause, remedy}), or nothing (C(nbody_report) only).
    type: dict
  cpu:
    description: The parsed CPU run, or nothing when the CPU was not measured (C(nbody_report) only).
    type: dict
  paths:
    description: The report entries of the paths, by name (C(nbody_report) only).
    type: dict
  min_gflops:
    description: The floor, C(nbody_smoke_min_gflops).
    type: raw
  timestamp:
    description: The time of the report (C(nbody_report) only).
    type: str
  host:
    description: The inventory name (C(nbody_report) only).
    type: str
  image:
    description: The image that ran (C(nbody_report) only).
    type: str
  command:
    description: The GPU run's command line (C(nbody_report) only).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Put the result together
  ansible.builtin.set_fact:
    result: >-
      {{ gpu | wsl.cuda.nbody_report(run=gpu_run, passed=passed, cause=cause, cpu=cpu, paths=paths,
         min_gflops=100, timestamp=now(utc=true).isoformat(), host=inventory_hostname, image=image, command=argv) }}
"""

RETURN = r"""
_value:
  description: C(nbody_report) the report (schema 1); C(nbody_failure) a phrase.
  type: raw
  sample: "4.2 GFLOP/s is below nbody_smoke_min_gflops=100"
"""


from ansible_collections.wsl.cuda.plugins.module_utils.nbody import nbody_failure, nbody_report


class FilterModule(object):
    """wsl.cuda's N-body report filters (module_utils/nbody.py, which wsl.cuda.smoke_test uses too)."""

    def filters(self):
        return {"nbody_report": nbody_report, "nbody_failure": nbody_failure}
