#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wsl_gpu
short_description: Check WSL 2 GPU paravirtualization and report it as facts
version_added: 0.1.0
description:
  - Checks, read-only, that a WSL 2 distro can run CUDA through the Windows NVIDIA driver, and reports
    every check with its status, evidence and remedy under C(ansible_facts.wsl_gpu).
  - "The checks, by name: C(wsl) (WSL 2, not WSL 1, not another Linux: from the kernel release,
    C(/proc/sys/fs/binfmt_misc/WSLInterop) and C(WSL_DISTRO_NAME));
    C(dxg) (O(dxg_path) is a character device: the dxgkrnl driver is present);
    C(libdxcore) (C(libdxcore.so) in O(wsl_lib_dir), that directory in C(/etc/ld.so.conf.d) and in the
    loader cache, and the library loads; C([automount] ldconfig = false) in C(/etc/wsl.conf) is named in the remedy);
    C(libcuda) (C(libcuda.so.1) resolves to the copy in O(wsl_lib_dir) and no copy in the distro's library
    directories, C(/usr/local/cuda*/compat) or C(LD_LIBRARY_PATH) shadows it; the remedy names the
    C(apt-get purge) of the packages that own the copies; ldconfig's C(is not a symbolic link) complaint about
    WSL's libraries is recorded as harmless);
    C(cuda) (C(cuInit), driver version, every device's name, memory and compute capability through the CUDA
    driver API); C(nvml) (driver version and GPU names through NVML);
    C(linux_driver) (no Linux NVIDIA driver packages installed with dpkg);
    C(docker_desktop) (C(docker) on C(PATH) or C(/var/run/docker.sock) not owned by Docker Desktop's WSL integration);
    C(dpkg) (dpkg is not interrupted: no journal left in C(/var/lib/dpkg/updates) and no package left unpacked,
    half-installed, half-configured or awaiting triggers, which would make every apt install fail; the site play
    completes it with C(dpkg --configure -a) before it installs anything)."
  - The CUDA and NVML probes load the libraries with ctypes in a forked child process, so a driver that
    crashes or hangs cannot take the module down.
  - Fails, listing every fatal check that failed with its remedy (one per line), when any check named in
    O(fatal_checks) fails. Failed checks outside O(fatal_checks) get status C(warn) and a warning.
  - Only Debian-family distros are checked for driver packages and dpkg; elsewhere C(linux_driver) and C(dpkg) are C(skip).
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  root:
    description:
      - Prefix for every path the module reads (the distro's root directory).
      - The test bed and the unit tests point it at a directory holding WSL stand-ins.
    type: path
    default: /
  kernel_release:
    description:
      - Kernel release to judge the WSL version by, for example V(5.15.153.1-microsoft-standard-WSL2).
      - Defaults to the running kernel's release (C(uname -r)).
    type: str
  environ:
    description:
      - Environment to read C(WSL_DISTRO_NAME), C(WSL_INTEROP), C(LD_LIBRARY_PATH) and C(PATH) from.
      - Defaults to the module process's environment.
    type: dict
  wsl_lib_dir:
    description:
      - Directory (inside O(root)) where WSL maps in the Windows driver's Linux libraries.
    type: str
    default: /usr/lib/wsl/lib
  dxg_path:
    description:
      - Device node (inside O(root)) of the dxgkrnl GPU paravirtualization driver.
    type: str
    default: /dev/dxg
  probe_cuda:
    description:
      - Load C(libcuda.so.1) from O(wsl_lib_dir) and query the GPUs through the CUDA driver API (check C(cuda)).
      - When V(false), the C(cuda) check is C(skip) and C(devices) comes from NVML (names only).
    type: bool
    default: true
  probe_nvml:
    description:
      - Load C(libnvidia-ml.so.1) from O(wsl_lib_dir) and read the driver version and GPU names (check C(nvml)).
    type: bool
    default: true
  fatal_checks:
    description:
      - Checks whose failure fails the module.
      - Defaults to the checks CUDA containers cannot live without, V([wsl, dxg, libdxcore, libcuda, linux_driver]),
        plus V(cuda) when O(probe_cuda) is V(true).
      - A check with status C(skip) never fails the module.
    type: list
    elements: str
    choices: [wsl, dxg, libdxcore, libcuda, cuda, nvml, linux_driver, docker_desktop, dpkg]
  paths:
    description:
      - Paths (inside O(root)) whose existence to tell in RV(ansible_facts.wsl_gpu.paths_exist).
      - The site play asks here about the files its roles' checks need (C(nbody_smoke_image_archive)), so that they
        need no call of their own.
    type: list
    elements: path
    default: []
  platform_facts:
    description:
      - Also return ansible-core's own distribution and platform facts (C(distribution), C(distribution_version),
        C(distribution_release), C(os_family), C(architecture), C(hostname) and the rest of what those two collectors
        of M(ansible.builtin.setup) give), gathered with the collectors C(setup) runs, not a copy of them.
      - A play that reads no other facts then needs no C(setup) call (the site play's preflight does this).
      - They describe the machine the module runs on; O(root) does not apply to them.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same checks in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  facts:
    support: full
    description: Sets C(ansible_facts.wsl_gpu).
notes:
  - Needs C(ldconfig) on the managed host to read the loader cache (C(ldconfig -p), with C(-C) for another O(root)).
  - "NVIDIA's CUDA on WSL guide: U(https://docs.nvidia.com/cuda/wsl-user-guide/index.html)."
seealso:
  - name: CUDA on WSL User Guide
    description: Why no Linux NVIDIA driver may be installed inside WSL.
    link: https://docs.nvidia.com/cuda/wsl-user-guide/index.html
"""

EXAMPLES = r"""
- name: Check WSL 2 GPU paravirtualization before anything changes
  wsl.cuda.wsl_gpu:

- name: Check a WSL image unpacked elsewhere, without the CUDA probe
  wsl.cuda.wsl_gpu:
    root: /srv/wsl-image
    kernel_release: 5.15.153.1-microsoft-standard-WSL2
    probe_cuda: false

- name: Report, but only fail when this is not WSL 2 at all
  wsl.cuda.wsl_gpu:
    fatal_checks: [wsl]

- name: Show the one-line summary
  ansible.builtin.debug:
    msg: "{{ ansible_facts['wsl_gpu']['summary'] }}"
"""

RETURN = r"""
failed_checks:
  description: Names of the fatal checks that failed (empty on success).
  returned: always
  type: list
  elements: str
  sample: [wsl, dxg]
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    wsl_gpu:
      description: What the checks found.
      returned: always
      type: complex
      contains:
        checks:
          description:
            - One entry per check (C(wsl), C(dxg), C(libdxcore), C(libcuda), C(cuda), C(nvml), C(linux_driver),
              C(docker_desktop), C(dpkg)), each with C(status) (C(pass), C(fail), C(warn) = failed but not fatal, C(skip)),
              C(fatal) (V(true) when the check is one of the fatal checks in force, O(fatal_checks) or its default,
              whatever its status), C(message) (one line), C(evidence) (list of what was seen) and C(remedy)
              (what to do; empty on pass).
            - C(docker_desktop) also has C(paths), those of the first C(docker) on C(PATH), C(/usr/local/bin/docker),
              C(/usr/bin/docker) and the Docker socket that point into Docker Desktop's WSL integration (M(wsl.cuda.docker_engine)'s
              refusal names them).
          returned: always
          type: dict
          sample:
            wsl:
              status: pass
              fatal: true
              message: WSL 2 (kernel 5.15.153.1-microsoft-standard-WSL2)
              evidence: ["kernel release: 5.15.153.1-microsoft-standard-WSL2"]
              remedy: ""
        wsl_version:
          description: V(2), V(1), or V(null) when this is not WSL.
          returned: always
          type: int
          sample: 2
        kernel_release:
          description: The kernel release the WSL version was judged by.
          returned: always
          type: str
          sample: 5.15.153.1-microsoft-standard-WSL2
        devices:
          description:
            - The GPUs found, from the CUDA driver API (from NVML, with C(memory_mib) and C(compute_capability)
              null, when CUDA was not probed).
          returned: always
          type: list
          elements: dict
          contains:
            name:
              description: GPU name.
              type: str
              returned: always
              sample: NVIDIA GeForce RTX 3070 Laptop GPU
            memory_mib:
              description: Total memory in MiB.
              type: int
              returned: always
              sample: 8192
            compute_capability:
              description: Compute capability, major.minor.
              type: str
              returned: always
              sample: "8.6"
        driver_version:
          description: Windows NVIDIA driver version as NVML reports it, V(null) when unknown.
          returned: always
          type: str
          sample: "560.94"
        cuda_driver_version:
          description: Highest CUDA version the driver supports (major.minor), V(null) when unknown.
          returned: always
          type: str
          sample: "12.6"
        paths_exist:
          description: Each of O(paths), and whether it exists (a dangling link counts).
          returned: always
          type: dict
          sample: {/srv/nbody-image.tar: true}
        summary:
          description: One line for humans.
          returned: always
          type: str
          sample: "WSL 2, 1 GPU: NVIDIA GeForce RTX 3070 Laptop GPU (8192 MiB, CC 8.6), driver 560.94, CUDA 12.6"
    distribution:
      description: ansible-core's distribution facts (C(distribution) and its version, release and family).
      returned: with O(platform_facts)
      type: str
      sample: Debian
    architecture:
      description: ansible-core's platform facts (C(architecture), C(system), C(kernel), C(hostname) and the rest).
      returned: with O(platform_facts)
      type: str
      sample: x86_64
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils.wsl_gpu import (
    CHECK_NAMES,
    DXG_PATH,
    WSL_LIB_DIR,
    failure_lines,
    gather,
    in_root,
)


def platform_facts(module):
    """ansible-core's distribution and platform facts, from the collectors `setup` runs (imported here only:
    they cost about a tenth of a second, a separate `setup` call several times that)."""
    from ansible.module_utils.facts.system.distribution import DistributionFactCollector
    from ansible.module_utils.facts.system.platform import PlatformFactCollector

    facts = {}
    for collector in (PlatformFactCollector(), DistributionFactCollector()):
        facts.update(collector.collect(module=module, collected_facts=facts))
    return facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type='path', default='/'),
            kernel_release=dict(type='str'),
            environ=dict(type='dict'),
            wsl_lib_dir=dict(type='str', default=WSL_LIB_DIR),
            dxg_path=dict(type='str', default=DXG_PATH),
            probe_cuda=dict(type='bool', default=True),
            probe_nvml=dict(type='bool', default=True),
            fatal_checks=dict(type='list', elements='str', choices=list(CHECK_NAMES)),
            paths=dict(type='list', elements='path', default=[]),
            platform_facts=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    module.run_command_environ_update = dict(LANG='C', LC_ALL='C', LC_MESSAGES='C')
    params = module.params
    for option in ('wsl_lib_dir', 'dxg_path'):
        if not params[option].startswith('/'):
            module.fail_json(msg='%s must be an absolute path (inside root), got %s' % (option, params[option]))

    def run_command(argv):
        return module.run_command(argv, check_rc=False)

    environ = params['environ']
    if environ is None:
        environ = dict(os.environ)
    facts, fatal = gather(
        root=params['root'],
        kernel_release=params['kernel_release'],
        environ=dict((str(k), '' if v is None else str(v)) for k, v in environ.items()),
        wsl_lib_dir=params['wsl_lib_dir'],
        dxg_path=params['dxg_path'],
        probe_cuda=params['probe_cuda'],
        probe_nvml=params['probe_nvml'],
        fatal_checks=params['fatal_checks'],
        run_command=run_command,
        ldconfig=module.get_bin_path('ldconfig'),
    )
    facts['paths_exist'] = dict((path, os.path.lexists(in_root(params['root'], path))) for path in params['paths'])
    checks = facts['checks']
    for line in failure_lines(checks, [n for n in CHECK_NAMES if checks[n]['status'] == 'warn']):
        module.warn(line)
    result = dict(changed=False, failed_checks=fatal, ansible_facts=dict(wsl_gpu=facts))
    if params['platform_facts']:
        result['ansible_facts'].update(platform_facts(module))
    if fatal:
        lines = failure_lines(checks, fatal)
        module.fail_json(
            msg='This distro cannot run CUDA containers yet (%d check%s failed):\n%s' % (
                len(fatal), '' if len(fatal) == 1 else 's', '\n'.join(lines)),
            **result)
    module.exit_json(msg=facts['summary'], **result)


if __name__ == '__main__':
    main()
