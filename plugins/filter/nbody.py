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

from ansible.errors import AnsibleFilterError

from ansible_collections.wsl.cuda.plugins.module_utils import nbody


def parse_nbody(text):
    """Parse the stdout of ``nbody -benchmark`` (module_utils/nbody.py, which wsl.cuda.smoke_test uses too)."""
    try:
        return nbody.parse_nbody(text)
    except TypeError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule(object):
    """wsl.cuda filters for the N-body sample."""

    def filters(self):
        return {"nbody_results": parse_nbody}
