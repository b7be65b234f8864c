#!/usr/bin/env bash
# `make demo`: run the whole site play against a throwaway Debian 12 container
# dressed up as a WSL 2 distro, and show what a laptop would show.
set -euo pipefail
cd "$(dirname "$0")/.."
banner() {
  printf '\n%s\n' '=================================================================='
  printf '  SIMULATION: %s\n' "$1"
  printf '%s\n\n' '=================================================================='
}
banner "no WSL and no GPU here. A Debian 12 container plays the WSL 2 distro:
  /dev/dxg and /usr/lib/wsl/lib (the driver's libraries) are stand-ins, and
  the N-body image is a stand-in that computes on the CPU. The NVIDIA
  Container Toolkit is NVIDIA's own (v1.20.0, built from its source), served
  from local signed mirrors. Docker, apt, GPG and the playbook are real."
trap 'molecule destroy -s demo >/dev/null 2>&1 || true' EXIT
molecule converge -s demo
banner "the report the play wrote at /var/lib/wsl-cuda/nbody-report.json"
docker exec wsl-cuda-demo cat /var/lib/wsl-cuda/nbody-report.json
printf '\n'
