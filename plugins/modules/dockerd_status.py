#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dockerd_status
short_description: Tell in one call whether dockerd is installed, running by its pidfile, and answering
version_added: 0.1.0
description:
  - Reads whether systemd is PID 1 (C(/run/systemd/system) is a directory), which of O(dockerd_paths) exists,
    the pidfile O(pidfile) and whether the pid in it is a live C(dockerd) (C(/proc/PID/stat); a zombie does not
    count), and asks dockerd's API on O(socket) for its version (C(GET /version), as C(docker info) does first).
  - With O(wait), asks again every second until dockerd answers or O(wait) seconds have passed.
  - With O(log_tail) and a dockerd that does not answer, returns the last O(log_lines) lines of O(log), or of
    C(journalctl -u docker.service) with O(journal).
  - Changes nothing; the role M(wsl.cuda.dockerd_startup) decides from its result.
author:
  - wsl.cuda maintainers (@wsl-cuda)
options:
  pidfile:
    description: The pidfile of a background dockerd.
    type: path
    default: /var/run/docker.pid
  socket:
    description: dockerd's API socket.
    type: path
    default: /var/run/docker.sock
  dockerd_paths:
    description: Where dockerd may be installed; the first that exists is returned as RV(dockerd).
    type: list
    elements: path
    default: [/usr/bin/dockerd, /usr/sbin/dockerd, /usr/local/bin/dockerd]
  wait:
    description: Seconds to wait for dockerd to answer; V(0) asks once.
    type: int
    default: 0
  log_tail:
    description: Return the end of dockerd's log (RV(log_tail)) when it does not answer.
    type: bool
    default: false
  log:
    description: The log of a background dockerd.
    type: path
    default: /var/log/dockerd.log
  journal:
    description: With O(log_tail), read C(journalctl -u docker.service) instead of O(log) (dockerd under systemd).
    type: bool
    default: false
  log_lines:
    description: How many lines RV(log_tail) holds at most.
    type: int
    default: 20
  script:
    description:
      - The start script of dockerd, to check against O(script_content) (RV(script_current)); the role writes it
        only when it is not current, so that a re-run needs no call for it.
    type: path
  script_content:
    description: What O(script) should hold. Required with O(script).
    type: str
  script_mode:
    description: The mode O(script) should have (owned by root).
    type: raw
    default: "0755"
  wsl_conf:
    description:
      - WSL's configuration file that M(wsl.cuda.wsl_conf) edits (C(/etc/wsl.conf)); RV(wsl_conf_current) says whether
        that module would change it. Needs O(wsl_conf_command).
    type: path
  wsl_conf_command:
    description: The boot command that M(wsl.cuda.wsl_conf) is given as its option C(command).
    type: str
  wsl_conf_systemd:
    description: What M(wsl.cuda.wsl_conf) is given as its option C(systemd).
    type: bool
    default: false
  root:
    description: Prefix for every path the module reads (the unit tests point it at a directory).
    type: path
    default: /
attributes:
  check_mode:
    support: full
    description: It only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing to show.
"""

EXAMPLES = r"""
- name: Find out whether dockerd runs
  wsl.cuda.dockerd_status:
    pidfile: /var/run/docker.pid
  register: dockerd

- name: Wait for dockerd, with the end of its log if it does not come up
  wsl.cuda.dockerd_status:
    wait: 60
    log_tail: true
"""

RETURN = r"""
systemd_booted:
  description: systemd is PID 1.
  returned: always
  type: bool
dockerd:
  description: The first of O(dockerd_paths) that exists, or C(null).
  returned: always
  type: str
  sample: /usr/bin/dockerd
pidfile_exists:
  description: O(pidfile) exists.
  returned: always
  type: bool
pid:
  description: The text of O(pidfile) (C("") when there is none).
  returned: always
  type: str
  sample: "1234"
running:
  description: The pid in O(pidfile) is a live dockerd.
  returned: always
  type: bool
stale:
  description: O(pidfile) exists but names no running dockerd (left by C(wsl --shutdown) or a crash).
  returned: always
  type: bool
answers:
  description: dockerd answered on O(socket).
  returned: always
  type: bool
version:
  description: dockerd's version, or C(null) when it does not answer.
  returned: always
  type: str
  sample: 28.5.1
error:
  description: Why dockerd did not answer, or C(null).
  returned: always
  type: str
script_current:
  description:
    - O(script) is a regular file owned by root with mode O(script_mode) and holds O(script_content); C(null)
      without O(script).
  returned: always
  type: bool
wsl_conf_current:
  description:
    - For each O(wsl_conf_command) state of M(wsl.cuda.wsl_conf) (C(present), C(absent)), whether that module, given
      O(wsl_conf), O(wsl_conf_command) and O(wsl_conf_systemd), would leave the file as it is (the same code);
      C(null) without O(wsl_conf), or when the file cannot be read as text (that module then says why).
  returned: always
  type: dict
  sample: {present: true, absent: false}
log_tail:
  description: The end of dockerd's log, when O(log_tail) is set and dockerd does not answer (else C([])).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wsl.cuda.plugins.module_utils import dockerd_status


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dockerd_status.READ_SPEC,
            wait=dict(type="int", default=0),
            log_tail=dict(type="bool", default=False),
            log=dict(type="path", default="/var/log/dockerd.log"),
            journal=dict(type="bool", default=False),
            log_lines=dict(type="int", default=20),
        ),
        required_by=dockerd_status.READ_REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = dockerd_status.read(params, wait=params["wait"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    lines = []
    if params["log_tail"] and not result["answers"]:
        if params["journal"]:
            journalctl = module.get_bin_path("journalctl")
            if journalctl:
                _rc, out, err = module.run_command(
                    [journalctl, "--no-pager", "-u", "docker.service", "-n", str(params["log_lines"])])
                lines = (out or err or "").splitlines()[-params["log_lines"]:]
        else:
            lines = dockerd_status.tail(params["log"], params["log_lines"], root=params["root"])
    module.exit_json(changed=False, log_tail=lines, **result)


if __name__ == "__main__":
    main()
