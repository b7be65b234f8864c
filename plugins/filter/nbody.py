# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: nbody_results
short_description: Parse the output of the CUDA sample C(nbody) run with C(-benchmark)
version_added: 0.1.0
author: wsl.cuda maintainers
description:
  - Turns what C(nbody -benchmark) prints (for example
    C(docker run --rm --gpus all nvcr.io/nvidia/k8s/cuda-sample:nbody nbody -gpu -benchmark)) into a dictionary.
  - Tolerates the usage block the sample always prints, missing header lines, the C(MapSMtoCores)
    warnings of sample builds older than the GPU, C(-fp64) and C(-cpu) runs.
  - Never raises on unexpected text; C(ok) says whether a complete benchmark result was found.
positional: _input
options:
  _input:
    description: Standard output of the sample (a string; a list of lines is accepted too).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Run the N-body sample on the GPU
  ansible.builtin.command:
    argv: [docker, run, --rm, --gpus, all, "nvcr.io/nvidia/k8s/cuda-sample:nbody", nbody, -gpu, -benchmark]
  register: nbody_run
  changed_when: false

- name: Show the GFLOP/s the GPU reached
  ansible.builtin.debug:
    msg: "{{ (nbody_run.stdout | wsl.cuda.nbody_results).gflops }} GFLOP/s"
"""

RETURN = r"""
_value:
  description: What the output says. Fields the output does not contain are C(null).
  type: dict
  contains:
    ok:
      description: A complete benchmark result (bodies, time, interactions, GFLOP/s) was found and no error line.
      type: bool
      sample: true
    gpu_name:
      description: The CUDA device name from C(> Compute X.Y CUDA device [NAME]).
      type: str
      sample: NVIDIA GeForce RTX 2060
    compute_capability:
      description: Compute capability C(major.minor).
      type: str
      sample: "7.5"
    device_arch:
      description: >-
        Architecture name the sample printed in C(GPU Device 0 "NAME"); an older sample build
        prints a wrong default (such as C(Ampere) for SM 8.9) together with a warning.
      type: str
      sample: Turing
    bodies:
      description: Number of bodies simulated (after rounding up to the block size).
      type: int
      sample: 30720
    iterations:
      description: Iterations timed.
      type: int
      sample: 10
    total_time_ms:
      description: Total time of the timed iterations in milliseconds.
      type: float
      sample: 69.751
    interactions_per_second:
      description: Billion interactions per second, as printed.
      type: float
      sample: 135.299
    gflops:
      description: GFLOP/s, as printed.
      type: float
      sample: 2705.976
    precision:
      description: C(single) or C(double) (C(-fp64)).
      type: str
      sample: single
    flops_per_interaction:
      description: Floating point operations counted per interaction (20 single, 30 double).
      type: int
      sample: 20
    mode:
      description: >-
        C(cpu) when the output says C(> Simulation with CPU), C(gpu) when it names a CUDA device
        or reports a result without the CPU line, C(null) when neither.
      type: str
      sample: gpu
    warnings:
      description: Warning lines (C(MapSMtoCores ... undefined), C(Warning ...), C(Rounding up ...), C(Advisory ...)).
      type: list
      elements: str
      sample: ['MapSMtoCores for SM 8.9 is undefined.  Default to use 128 Cores/SM']
    error:
      description: The first error line (C(Error ...), C(CUDA error ...), C(... failed ...)), or C(null).
      type: str
      sample: "Error: only 0 Devices available, 1 requested.  Exiting."
"""

import re

from ansible.errors import AnsibleFilterError

_FLOAT = r"([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"

_DEVICE_RE = re.compile(r'^GPU Device (\d+): "(.*)" with compute capability (\d+)\.(\d+)\s*$')
_COMPUTE_RE = re.compile(r"^> Compute (\d+)\.(\d+) CUDA device: \[(.*)\]\s*$")
_TIME_RE = re.compile(r"^(\d+) bodies, total time for (\d+) iterations: " + _FLOAT + r" ms\s*$")
_IPS_RE = re.compile(r"^= " + _FLOAT + r" billion interactions per second\s*$")
_GFLOPS_RE = re.compile(r"^= " + _FLOAT + r" (single|double)-precision GFLOP/s at (\d+) flops per interaction\s*$")
_PRECISION_RE = re.compile(r"^> (Single|Double) precision floating point simulation\s*$")
_CPU_RE = re.compile(r"^> Simulation with CPU")
_WARNING_RE = re.compile(
    r"^(MapSMtoCores|MapSMtoArchName|_ConvertSMVer2\w*) .*undefined"
    r"|^Warning\b|^Rounding up to the nearest multiple|^Advisory\b"
)
_ERROR_RE = re.compile(r"^(Error\b|CUDA error\b|.*\bcudaError\w*|.*\bfailed\b)", re.IGNORECASE)


def _empty():
    return {
        "ok": False,
        "gpu_name": None,
        "compute_capability": None,
        "device_arch": None,
        "bodies": None,
        "iterations": None,
        "total_time_ms": None,
        "interactions_per_second": None,
        "gflops": None,
        "precision": None,
        "flops_per_interaction": None,
        "mode": None,
        "warnings": [],
        "error": None,
    }


def parse_nbody(text):
    """Parse the stdout of ``nbody -benchmark``; see DOCUMENTATION."""
    if text is None:
        text = ""
    if isinstance(text, (list, tuple)):
        text = "\n".join(str(line) for line in text)
    if not isinstance(text, str):
        raise AnsibleFilterError("nbody_results expects the sample's output as a string, got %s" % type(text).__name__)

    result = _empty()
    cpu = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _DEVICE_RE.match(line)
        if match:
            result["device_arch"] = match.group(2)
            result["compute_capability"] = "%s.%s" % (match.group(3), match.group(4))
            continue
        match = _COMPUTE_RE.match(line)
        if match:
            result["compute_capability"] = "%s.%s" % (match.group(1), match.group(2))
            result["gpu_name"] = match.group(3).strip()
            continue
        match = _TIME_RE.match(line)
        if match:
            result["bodies"] = int(match.group(1))
            result["iterations"] = int(match.group(2))
            result["total_time_ms"] = float(match.group(3))
            continue
        match = _IPS_RE.match(line)
        if match:
            result["interactions_per_second"] = float(match.group(1))
            continue
        match = _GFLOPS_RE.match(line)
        if match:
            result["gflops"] = float(match.group(1))
            result["precision"] = match.group(2)
            result["flops_per_interaction"] = int(match.group(3))
            continue
        match = _PRECISION_RE.match(line)
        if match:
            if result["precision"] is None:
                result["precision"] = match.group(1).lower()
            continue
        if _CPU_RE.match(line):
            cpu = True
            continue
        if _WARNING_RE.match(line):
            result["warnings"].append(line)
            continue
        if result["error"] is None and _ERROR_RE.match(line):
            result["error"] = line

    complete = all(
        result[key] is not None
        for key in ("bodies", "iterations", "total_time_ms", "interactions_per_second", "gflops")
    )
    if cpu:
        result["mode"] = "cpu"
    elif result["gpu_name"] is not None or result["device_arch"] is not None or complete:
        result["mode"] = "gpu"
    result["ok"] = complete and result["error"] is None
    if not complete and result["error"] is None:
        result["error"] = "no benchmark result in the output (expected '= N single-precision GFLOP/s at 20 flops per interaction')"
    return result


class FilterModule(object):
    """wsl.cuda filters for the N-body sample."""

    def filters(self):
        return {"nbody_results": parse_nbody}
