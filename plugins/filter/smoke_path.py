# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: smoke_path
short_description: Judge one path of the GPU smoke test (a registered container run) for the JSON report
version_added: 0.1.0
author: wsl.cuda maintainers
description:
  - Turns the registered result of one smoke-test container run into the report entry of its path
    (C(paths.gpus), C(paths.cdi_docker), C(paths.cdi_podman), C(paths.nvml) of C(nbody-report.json)).
  - O(kind=nbody) parses the N-body output with M(wsl.cuda.nbody_results) and passes when the container exited 0 and
    the GPU reached O(min_gflops). O(kind=nvml) parses C(nvidia-smi -L) and passes when it exited 0 and listed a GPU.
  - A failed run gets the C(cause) and C(remedy) of the first entry of O(causes) whose C(match) is in its output.
positional: _input
options:
  _input:
    description: The registered result of M(ansible.builtin.command) (C(rc), C(stdout), C(stderr), C(cmd)).
    type: dict
    required: true
  kind:
    description: What the container ran.
    type: str
    choices: [nbody, nvml]
    default: nbody
  min_gflops:
    description: The floor of O(kind=nbody).
    type: float
    default: 0
  causes:
    description: Known messages, each C({match, cause, remedy}); the first that matches wins.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Judge the CDI path with Docker
  ansible.builtin.set_fact:
    cdi_docker: "{{ cdi_docker_run | wsl.cuda.smoke_path(kind='nbody', min_gflops=100, causes=known_causes) }}"
"""

RETURN = r"""
_value:
  description: The path's entry in the report.
  type: dict
  contains:
    passed:
      description: The path works.
      type: bool
      sample: true
    rc:
      description: Exit status of the container run.
      type: int
      sample: 0
    command:
      description: The command line.
      type: list
      elements: str
      sample: [docker, run, --rm, --device, nvidia.com/gpu=all, "nvcr.io/nvidia/k8s/cuda-sample:nbody", nbody, -gpu, -benchmark]
    gpu_name:
      description: The GPU the container saw (N-body's device, or the first of C(nvidia-smi -L)).
      type: str
      sample: NVIDIA GeForce RTX 3070 Laptop GPU
    gflops:
      description: GFLOP/s (O(kind=nbody)), else C(null).
      type: float
    gpus:
      description: What C(nvidia-smi -L) listed, each C({index, name, uuid}) (O(kind=nvml)), else C(null).
      type: list
      elements: dict
    error:
      description: Why the path failed, or C(null).
      type: str
    cause:
      description: The likely cause of a failure, or C(null).
      type: str
    remedy:
      description: What to do about it, or C(null).
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wsl.cuda.plugins.module_utils import nbody

nvidia_smi_gpus = nbody.nvidia_smi_gpus


def smoke_path(run, kind="nbody", min_gflops=0, causes=None):
    """One registered run → its report entry (module_utils/nbody.py, which wsl.cuda.smoke_test uses too)."""
    try:
        return nbody.smoke_path(run, kind=kind, min_gflops=min_gflops, causes=causes)
    except (TypeError, ValueError) as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule(object):
    """wsl.cuda filters for the smoke test's paths."""

    def filters(self):
        return {"smoke_path": smoke_path}
