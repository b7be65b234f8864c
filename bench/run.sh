#!/usr/bin/env bash
# make bench: the collection against the manual procedure and against a bare play, on fresh
# test-bed containers (wsl-cuda-testbed:bookworm, the same mirrors). Prints the machine, the ratios
# and the slowest tasks; the lead writes bench/RESULTS.md from them. Not a test: it takes minutes
# and its numbers depend on the machine.
#   BENCH_FLEET_N   hosts of the fleet runs (default 20)
#   BENCH_PARTS     the measurements to take, of: a b c d e f (default all)
#
# Every timed play runs as on a laptop: `ansible-playbook … -c local` INSIDE the container, which is
# the simulated WSL distro. The one exception is (e), a team's controller driving N hosts over the
# docker connection (as molecule does). Preparing the containers (tests/molecule/prepare.yml) stays
# on this machine over the docker connection and is not timed.
#
# Ansible inside a container without network: the project is bind-mounted read-only at the same
# path, and a venv made inside from the container's own /usr/bin/python3 (Debian's 3.11, as on a
# laptop) gets the project venv's site-packages through a .pth file. The project venv's own
# bin/python cannot be used: it is whatever interpreter `make venv` found on this machine (here a
# pyenv build under /root), which the container does not have. The packages are pure Python or
# cp311 wheels, so they run on any 3.11.
set -euo pipefail
cd "$(dirname "$0")/.."
project=$PWD
export PATH=$project/.venv/bin:$PATH
site_packages=$project/.venv/lib/python3.11/site-packages
export ANSIBLE_COLLECTIONS_PATH=$project/.collections:$site_packages
export ANSIBLE_INJECT_FACT_VARS=false ANSIBLE_NOCOLOR=1 ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_INTERPRETER_PYTHON=auto_silent
fleet_n=${BENCH_FLEET_N:-20}
parts=" ${BENCH_PARTS:-a b c d e f} "
part() { [[ $parts == *" $1 "* ]]; }
image=wsl-cuda-testbed:bookworm
testbed=$project/.cache/testbed
work=$(mktemp -d /tmp/wsl-cuda-bench.XXXXXX)
log=$work/log
inner_venv=/opt/bench-ansible
created=()

cleanup() {
  if [[ ${#created[@]} -gt 0 ]]; then docker rm -f "${created[@]}" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# The shared molecule instance's capabilities, so that dockerd runs inside as in the scenarios.
mapfile -t caps < <(python3 -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["platforms"][0]["capabilities"]))' \
  .config/molecule/config.yml)
cap_args=()
for cap in "${caps[@]}"; do cap_args+=(--cap-add "$cap"); done

# start NAME...: fresh instances with the molecule settings, plus the project and the work directory
# (the inventories) read-only at the same paths, and a venv for the Ansible run inside.
start() {
  docker rm -f "$@" >/dev/null 2>&1 || true
  for name in "$@"; do
    docker run -d --name "$name" "${cap_args[@]}" --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v "$testbed:/srv/testbed:ro" -v "$testbed/repos:/srv/mirror:ro" \
      -v "$project:$project:ro" -v "$work:$work:ro" \
      --tmpfs /var/lib/docker:exec "$image" sleep infinity >/dev/null
    created+=("$name")
    docker exec "$name" sh -ec "/usr/bin/python3 -m venv --without-pip $inner_venv
      echo '$site_packages' >$inner_venv/lib/python3.11/site-packages/bench-project.pth"
  done
}

# The group vars of the molecule scenarios, as a team's mirror settings; extra var=value pairs last.
group_vars() {
  printf '    docker_engine_repo_url: file:///srv/mirror/download.docker.com/linux/debian\n'
  printf '    docker_engine_repo_key_fingerprint: %s\n' "$(cat "$testbed/repos/docker.fingerprint")"
  printf '    nvidia_repo_base_url: file:///srv/mirror/nvidia.github.io/libnvidia-container\n'
  printf '    nvidia_repo_key_fingerprint: %s\n' "$(cat "$testbed/repos/nvidia.fingerprint")"
  printf '    wsl_gpu_kernel_release: 5.15.167.4-microsoft-standard-WSL2\n'
  printf '    nbody_smoke_image_archive: /srv/testbed/nbody-image.tar\n'
  printf '    nbody_smoke_image_archive_sha256: %s\n' "$(sha256sum "$testbed/nbody-image.tar" | cut -d' ' -f1)"
  printf '    nbody_smoke_min_gflops: 0.1\n'
  for kv in "$@"; do printf '    %s: %s\n' "${kv%%=*}" "${kv#*=}"; done
}

# inventory FILE [var=value ...] -- HOST...: the containers seen from this machine (docker connection),
# for the prepare step and the controller-driven fleet (e).
inventory() {
  local file=$1; shift
  local extra=()
  while [[ $1 != -- ]]; do extra+=("$1"); shift; done
  shift
  {
    printf 'all:\n  vars:\n    ansible_connection: community.docker.docker\n'
    group_vars "${extra[@]}"
    printf '  hosts:\n'
    for host in "$@"; do printf '    %s:\n' "$host"; done
  } >"$file"
}

# local_inventory FILE [var=value ...]: a laptop's own inventory, read inside the container.
local_inventory() {
  local file=$1; shift
  {
    printf 'all:\n  vars:\n'
    group_vars "$@"
    printf '  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: /usr/bin/python3\n'
  } >"$file"
}

# inside CONTAINER INVENTORY PLAYBOOK [ARG...]: ansible-playbook -c local in the container, from the
# checkout (so that its ansible.cfg applies, as on a laptop), with this script's Ansible settings.
inside() {
  local name=$1 inv=$2 playbook=$3; shift 3
  docker exec -w "$project" -e ANSIBLE_COLLECTIONS_PATH -e ANSIBLE_INJECT_FACT_VARS -e ANSIBLE_NOCOLOR \
    -e ANSIBLE_CALLBACKS_ENABLED -e ANSIBLE_CALLBACK_RESULT_FORMAT -e ANSIBLE_INTERPRETER_PYTHON \
    "$name" "$inner_venv/bin/python3" "$project/.venv/bin/ansible-playbook" -c local -i "$inv" "$playbook" "$@"
}

# timed NAME COMMAND...: run, keep the output in $work/NAME.out, set $secs; fails when the command fails.
timed() {
  local name=$1; shift
  local begin=$EPOCHREALTIME
  if ! "$@" >"$work/$name.out" 2>&1; then
    printf 'bench: %s failed; the end of its output:\n' "$name" >&2
    tail -40 "$work/$name.out" >&2
    return 1
  fi
  secs=$(bc <<<"scale=1; ($EPOCHREALTIME - $begin) / 1")
  printf '  %-40s %6ss\n' "$name" "$secs" | tee -a "$log"
}
ratio() { bc <<<"scale=2; $1 / $2"; }
recap_ok() { grep -Eq 'unreachable=0 +failed=0' "$1"; }
recap_changed_zero() { grep -Eq "changed=0 +unreachable=0 +failed=0" "$work/$1.out" && ! grep -Eq "changed=[1-9]" "$work/$1.out"; }

refused() { ! inside "$@"; }
prepare() { ansible-playbook -i "$1" tests/molecule/prepare.yml >"$work/prepare-$(basename "$1").out" 2>&1; }

# at_once NAME RUN HOST...: `RUN HOST` for every host at the same time, each output in
# $work/NAME-HOST.out. Fails when one of them fails.
at_once() {
  local name=$1 run=$2; shift 2
  local pids=() failed=0 host
  for host in "$@"; do
    "$run" "$host" >"$work/$name-$host.out" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  return "$failed"
}

site_on() { inside "$1" "$work/local.yml" playbooks/site.yml; }
manual_on() { docker exec "$1" bash /root/manual.sh; }

# laptops NAME CONTAINER...: each container runs site.yml -c local on itself, all at once; each
# output in $work/NAME-CONTAINER.out. Fails when one of them fails.
laptops() {
  local name=$1; shift
  local failed=0 host
  at_once "$name" site_on "$@" || failed=1
  for host in "$@"; do
    if ! recap_ok "$work/$name-$host.out"; then
      printf 'bench: %s failed on %s; the end of its output:\n' "$name" "$host"; tail -20 "$work/$name-$host.out"; failed=1
    fi
  done
  return "$failed"
}

# The machine, for RESULTS.md.
# shellcheck source=/dev/null
os=$(. /etc/os-release && echo "$PRETTY_NAME")
{
  printf 'machine: %s, %s CPU cores (%s), %s MiB memory\n' "$os" "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024))"
  printf 'kernel: %s\n' "$(uname -r)"
  printf 'docker: %s\n' "$(docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}')"
  printf 'ansible (this machine, for prepare and (e)): %s, python %s\n' \
    "$(ansible-playbook --version | head -1)" "$(python3 -c 'import platform; print(platform.python_version())')"
  printf 'image: %s %s\n' "$image" "$(docker image inspect --format '{{.Id}}' "$image")"
  printf 'fleet size: %s\n' "$fleet_n"
} | tee "$work/machine.txt"
printf 'bench: working in %s\n' "$work"
local_inventory "$work/local.yml"
local_inventory "$work/local-notwsl.yml" wsl_gpu_kernel_release=null

if part a || part b; then
echo '(a) first converge: site.yml -c local inside vs the manual procedure'
start bench-site bench-manual
inside bench-site "$work/local.yml" --version >"$work/version-inside.out" 2>&1 || { cat "$work/version-inside.out" >&2; exit 1; }
printf 'ansible (inside the containers, -c local): %s, python %s, config %s\n' "$(head -1 "$work/version-inside.out")" \
  "$(sed -n 's/^ *python version = \([^ ]*\).*(\(.*\))$/\1 (\2)/p' "$work/version-inside.out")" \
  "$(sed -n 's/^ *config file = //p' "$work/version-inside.out")" | tee -a "$work/machine.txt"
inventory "$work/site.yml" -- bench-site
inventory "$work/manual.yml" -- bench-manual
prepare "$work/site.yml"; prepare "$work/manual.yml"
docker cp bench/manual.sh bench-manual:/root/manual.sh
timed manual manual_on bench-manual; a_manual=$secs
timed site-first site_on bench-site; a_site=$secs
fi

if part b; then
echo '(b) idempotent re-run without network vs a bare play, both -c local inside'
docker network disconnect bridge bench-site
if docker exec bench-site getent ahosts deb.debian.org >/dev/null 2>&1; then echo 'bench: bench-site still resolves names' >&2; exit 1; fi
timed site-rerun-offline site_on bench-site; b_site=$secs
recap_changed_zero site-rerun-offline || { echo 'bench: the re-run changed something' >&2; exit 1; }
timed bare-on-site inside bench-site "$work/local.yml" bench/bare.yml; b_bare=$secs
fi

if part c; then
echo '(c) refusal on a host that is not WSL vs a bare play, both -c local inside'
start bench-notwsl
inventory "$work/notwsl.yml" testbed_wsl=false -- bench-notwsl
prepare "$work/notwsl.yml"
timed site-refusal refused bench-notwsl "$work/local-notwsl.yml" playbooks/site.yml; c_site=$secs
grep -q 'wsl: this host is not WSL' "$work/site-refusal.out" || { echo 'bench: no refusal message' >&2; exit 1; }
timed bare-on-notwsl inside bench-notwsl "$work/local-notwsl.yml" bench/bare.yml; c_bare=$secs
fi

fleet=()
for i in $(seq -f '%02g' 1 "$fleet_n"); do fleet+=("bench-fleet-$i"); done

inventory "$work/one.yml" -- bench-one
inventory "$work/fleet.yml" -- "${fleet[@]}"

if part d; then
echo "(d) $fleet_n laptops at once, each site.yml -c local on itself, vs 1"
start bench-one "${fleet[@]}"
prepare "$work/one.yml"; ANSIBLE_FORKS=$fleet_n prepare "$work/fleet.yml"
timed site-one-local site_on bench-one; d_one=$secs
timed "site-laptops-$fleet_n" laptops "site-laptops-$fleet_n" "${fleet[@]}"; d_fleet=$secs
docker rm -f bench-one "${fleet[@]}" >/dev/null
fi

if part e; then
echo "(e) fleet of $fleet_n from one controller (docker connection, forks $fleet_n) vs 1"
start bench-one "${fleet[@]}"
prepare "$work/one.yml"; ANSIBLE_FORKS=$fleet_n prepare "$work/fleet.yml"
timed site-one-docker ansible-playbook -i "$work/one.yml" playbooks/site.yml; e_one=$secs
timed "site-fleet-$fleet_n" env ANSIBLE_FORKS="$fleet_n" ansible-playbook -i "$work/fleet.yml" playbooks/site.yml; e_fleet=$secs
docker rm -f bench-one "${fleet[@]}" >/dev/null
fi

# (f) is the machine's own floor for (d) and (e): the same first install done by hand, N times at once.
if part f; then
echo "(f) the manual procedure on $fleet_n hosts at once vs 1"
start bench-one "${fleet[@]}"
prepare "$work/one.yml"; ANSIBLE_FORKS=$fleet_n prepare "$work/fleet.yml"
for host in bench-one "${fleet[@]}"; do docker cp bench/manual.sh "$host:/root/manual.sh"; done
timed manual-one manual_on bench-one; f_one=$secs
timed "manual-$fleet_n" at_once "manual-$fleet_n" manual_on "${fleet[@]}"; f_fleet=$secs
fi

verdict() { if [[ $(bc <<<"$1 <= $2") == 1 ]]; then echo met; else echo MISSED; fi; }
{
  printf '| measurement | collection | baseline | ratio | target |\n| --- | --: | --: | --: | --- |\n'
  part a && ra=$(ratio "$a_site" "$a_manual") && printf '| (a) first converge, -c local inside: site.yml vs manual.sh | %ss | %ss | %s× | ≤ 1.2× %s |\n' \
    "$a_site" "$a_manual" "$ra" "$(verdict "$ra" 1.2)"
  part b && rb=$(ratio "$b_site" "$b_bare") && printf '| (b) re-run, network disconnected, changed=0 vs bare play, both -c local inside | %ss | %ss | %s× | ≤ 2× %s |\n' \
    "$b_site" "$b_bare" "$rb" "$(verdict "$rb" 2)"
  part c && rc=$(ratio "$c_site" "$c_bare") && printf '| (c) refusal on a non-WSL host vs bare play, both -c local inside | %ss | %ss | %s× | ≤ 1.5× %s |\n' \
    "$c_site" "$c_bare" "$rc" "$(verdict "$rc" 1.5)"
  part d && rd=$(ratio "$d_fleet" "$d_one") && printf '| (d) %s laptops at once (each -c local on itself) vs 1, first converge | %ss | %ss | %s× | information |\n' \
    "$fleet_n" "$d_fleet" "$d_one" "$rd"
  part e && re=$(ratio "$e_fleet" "$e_one") && printf '| (e) fleet of %s from one controller (docker connection, forks %s) vs 1 host, first converge | %ss | %ss | %s× | ≤ 2.5× %s |\n' \
    "$fleet_n" "$fleet_n" "$e_fleet" "$e_one" "$re" "$(verdict "$re" 2.5)"
  part f && rf=$(ratio "$f_fleet" "$f_one") && printf '| (f) manual.sh on %s hosts at once vs 1 (the machine'"'"'s floor for (d) and (e)) | %ss | %ss | %s× | information |\n' \
    "$fleet_n" "$f_fleet" "$f_one" "$rf"
  true
} >"$work/table.md"
echo; cat "$work/table.md"
# The slowest tasks of each timed play (profile_tasks), for RESULTS.md; of (d), its first laptop.
for name in site-first site-rerun-offline site-refusal site-one-local "site-laptops-$fleet_n-${fleet[0]}" site-one-docker \
  "site-fleet-$fleet_n"; do
  [[ -f $work/$name.out ]] || continue
  printf '\n%s, slowest tasks:\n' "$name"
  sed -n '/^=====.*$/,$p' "$work/$name.out" | grep -E ' -+ [0-9.]+s$' | head -8
done >"$work/profile.txt"
cat "$work/profile.txt"
printf '\nbench: outputs in %s (machine.txt, table.md, profile.txt, *.out)\n' "$work"
