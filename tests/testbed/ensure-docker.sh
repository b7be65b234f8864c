#!/usr/bin/env bash
# Make sure a Docker engine answers, and that the tools tests/testbed/build.sh
# uses are installed. As root on Debian/Ubuntu it installs what is missing
# (the distro's docker.io) and starts dockerd in the background, because CI
# machines and containers usually have no systemd to start it for us.
set -euo pipefail

log=/var/log/dockerd-testbed.log
timeout=${ENSURE_DOCKER_TIMEOUT:-60}

# Tools build.sh needs, as "command:package" pairs.
tools=(
  docker:docker.io
  dockerd:docker.io
  debootstrap:debootstrap
  apt-ftparchive:apt-utils
  gpg:gnupg
  gcc:gcc
  dpkg-deb:dpkg
  dpkg-scanpackages:dpkg-dev
)

is_debian_like() {
  [[ -r /etc/os-release ]] && grep -Eq '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release
}

missing_packages() {
  local pair cmd pkg
  local -A want=()
  for pair in "${tools[@]}"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || want[$pkg]=1
  done
  # A static N-body binary needs the C library's static archive too.
  [[ -e /usr/lib/x86_64-linux-gnu/libc.a || -e /usr/lib/libc.a ]] || want[libc6-dev]=1
  # debootstrap checks Release signatures with the Debian archive keyring
  # (Ubuntu hosts need it for Debian suites).
  [[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]] || want[debian-archive-keyring]=1
  printf '%s\n' "${!want[@]}" | sed '/^$/d' | sort
}

docker_answers() {
  docker info >/dev/null 2>&1
}

die() {
  printf 'ensure-docker: %s\n' "$*" >&2
  exit 1
}

mapfile -t pkgs < <(missing_packages)
if ((${#pkgs[@]})); then
  if [[ $EUID -ne 0 ]] || ! is_debian_like; then
    die "missing: ${pkgs[*]}. Install them (on Debian/Ubuntu: sudo apt-get install -y ${pkgs[*]}) or run 'make docker' as root."
  fi
  echo "ensure-docker: installing ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

if docker_answers; then
  echo "ensure-docker: docker answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  if [[ -S /var/run/docker.sock ]]; then
    die "a Docker engine runs but $(id -un) may not use it: add yourself to the 'docker' group (sudo usermod -aG docker $(id -un), then log in again) or run as root."
  fi
  die "no Docker engine answers. Start one (sudo systemctl start docker, or sudo dockerd &) or run 'make docker' as root to install and start Debian's docker.io."
fi

if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
  # systemd as PID 1: let it own the daemon.
  systemctl start docker || true
else
  # No systemd (container, WSL default): start dockerd ourselves, detached
  # from this shell so it outlives `make`.
  echo "ensure-docker: starting dockerd in the background (log: $log)"
  setsid nohup dockerd >>"$log" 2>&1 </dev/null &
fi

for ((i = 0; i < timeout; i++)); do
  if docker_answers; then
    echo "ensure-docker: docker answers after ${i}s"
    exit 0
  fi
  sleep 1
done
tail -n 20 "$log" >&2 2>/dev/null || true
die "dockerd did not answer within ${timeout}s; see $log"
