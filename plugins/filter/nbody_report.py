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


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def nbody_report(gpu, run, passed, cause=None, cpu=None, paths=None, min_gflops=0, timestamp=None, host=None,
                 image=None, command=None):
    """Return the report of the smoke test as the role writes it to nbody_smoke_report."""
    gpu = dict(gpu or {})
    paths = dict(paths or {})
    cause = dict(cause or {})
    passed = bool(passed)
    ratio = None
    if cpu is not None and gpu.get("ok") and cpu.get("ok") and _float(cpu.get("gflops")) > 0:
        ratio = round(_float(gpu.get("gflops")) / _float(cpu.get("gflops")), 1)
    return {
        "schema": 1,
        "timestamp": timestamp,
        "host": host,
        "passed": passed,
        "cause": None if passed else cause.get("cause"),
        "remedy": None if passed else cause.get("remedy"),
        "image": image,
        "command": list(command or []),
        "min_gflops": _float(min_gflops),
        "rc": int(run.get("rc", 0)),
        "gpu": gpu,
        "cpu": cpu,
        "gpu_cpu_ratio": ratio,
        "paths": paths,
        "all_passed": all(entry.get("passed") for entry in paths.values()),
    }


def nbody_failure(gpu, run, min_gflops=0):
    """Say why the GPU run did not pass: the container's exit, the parser's error, the CPU, or the floor."""
    gpu = gpu or {}
    rc = int(run.get("rc", 0))
    error = gpu.get("error") or ""
    if rc != 0:
        detail = " (%s)" % error if error and "no benchmark result" not in error else ""
        return "docker run exited %d%s" % (rc, detail)
    if not gpu.get("ok"):
        return error
    if gpu.get("mode") != "gpu":
        return "it ran on the CPU"
    return "%s GFLOP/s is below nbody_smoke_min_gflops=%s" % (gpu.get("gflops"), min_gflops)


class FilterModule(object):
    """wsl.cuda's N-body report filters."""

    def filters(self):
        return {"nbody_report": nbody_report, "nbody_failure": nbody_failure}
