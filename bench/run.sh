#!/usr/bin/env bash
# make bench: the collection against the manual procedure, against a bare play and against
# geerlingguy.docker, on fresh test-bed containers (wsl-cuda-testbed:bookworm, the same mirrors).
# Prints the machine, the ratios, the slowest tasks and each play's task counts; the lead writes
# bench/RESULTS.md from them. Not a test: it takes minutes and its numbers depend on the machine.
#   BENCH_PARTS     the measurements to take, of: a b c d e f g (default all)
#   BENCH_FLEET_N   hosts of the fleet runs (default 20)
#   BENCH_ANSIBLE   venv (default): the project venv's ansible-core (2.19) on the container's python;
#                   debian: Debian 12's own ansible-core 2.14 from apt, as the README's newcomer has it
#                   (row (g) keeps the venv's: geerlingguy.docker needs 2.15, see there)
#   BENCH_BECOME    root (default): the plays run as root; sudo-password: as user `newcomer`, who
#                   becomes root with sudo and a password (ansible_become_password), as on a laptop
#   BENCH_GEERLINGGUY_TARBALL  the peer role of (g) (default: ../shared/vendor of the main checkout)
#   PROFILE_TASKS_TASK_OUTPUT_LIMIT, PROFILE_TASKS_SORT_ORDER  passed to the timed plays (profile_tasks)
#
# Every timed play runs as on a laptop: `ansible-playbook … -c local` INSIDE the container, which is
# the simulated WSL distro. The one exception is (e), a team's controller driving N hosts over the
# docker connection (as molecule does; BENCH_ANSIBLE and BENCH_BECOME do not apply to it). Preparing
# the containers (tests/molecule/prepare.yml, and what BENCH_ANSIBLE/BENCH_BECOME need) stays on this
# machine over the docker connection and is not timed.
#
# Ansible inside a container without network: a copy of the checkout at the project's path (see
# start), and a venv made inside from the container's own /usr/bin/python3 (Debian's 3.11, as on a
# laptop) gets the project venv's site-packages through a .pth file. The project venv's own
# bin/python cannot be used: it is whatever interpreter `make venv` found on this machine (here a
# pyenv build under /root), which the container does not have. The packages are pure Python or
# cp311 wheels, so they run on any 3.11. The venv (a link to the main checkout's in a worktree) and
# the test bed are mounted read-only at their real paths, so that the links resolve inside too.
set -euo pipefail
cd "$(dirname "$0")/.."
project=$PWD
venv=$(realpath "$project/.venv")
export PATH=$venv/bin:$PATH
site_packages=$venv/lib/python3.11/site-packages
export ANSIBLE_COLLECTIONS_PATH=$project/.collections:$site_packages
export ANSIBLE_INJECT_FACT_VARS=false ANSIBLE_NOCOLOR=1 ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks,bench_counts
export ANSIBLE_CALLBACK_PLUGINS=$project/bench/callback_plugins
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_INTERPRETER_PYTHON=auto_silent
fleet_n=${BENCH_FLEET_N:-20}
parts=" ${BENCH_PARTS:-a b c d e f g} "
part() { [[ $parts == *" $1 "* ]]; }
ansible_kind=${BENCH_ANSIBLE:-venv}
become_kind=${BENCH_BECOME:-root}
case $ansible_kind in venv | debian) ;; *) echo "bench: BENCH_ANSIBLE must be venv or debian, not '$ansible_kind'" >&2; exit 2 ;; esac
case $become_kind in root | sudo-password) ;; *) echo "bench: BENCH_BECOME must be root or sudo-password, not '$become_kind'" >&2; exit 2 ;; esac
# The throwaway password of the test user `newcomer` (BENCH_BECOME=sudo-password).
become_password=bench-sudo-password
image=wsl-cuda-testbed:bookworm
testbed=$(realpath "$project/.cache/testbed")
work=$(mktemp -d /tmp/wsl-cuda-bench.XXXXXX)
# Readable by the test user inside (the inventories); it holds nothing secret.
chmod 0755 "$work"
log=$work/log
inner_venv=/opt/bench-ansible
created=()

cleanup() {
  if [[ ${#created[@]} -gt 0 ]]; then docker rm -f "${created[@]}" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# The shared molecule instance's capabilities (testbed_instance), so that dockerd runs inside as in the scenarios.
mapfile -t caps < <(python3 -c 'import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
print("\n".join(config["provisioner"]["inventory"]["group_vars"]["all"]["testbed_instance"]["capabilities"]))' \
  .config/molecule/config.yml)
cap_args=()
for cap in "${caps[@]}"; do cap_args+=(--cap-add "$cap"); done

# start NAME...: fresh instances with the molecule settings, plus the project venv and the work directory
# (the inventories, the peer role of (g)) read-only at the same paths, and a venv for the Ansible run inside.
# Each gets its own writable copy of the checkout at the project's path (its tracked and untracked files, as
# `git clone` and the working tree have them), as a laptop has its clone: Python caches the collection's
# plugins' bytecode in it on the first run, as it does on a laptop (a read-only mount would compile them
# again in every task's worker process, on every run).
start() {
  docker rm -f "$@" >/dev/null 2>&1 || true
  for name in "$@"; do
    docker run -d --name "$name" "${cap_args[@]}" --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v "$testbed:/srv/testbed:ro" -v "$testbed/repos:/srv/mirror:ro" \
      -v "$venv:$venv:ro" -v "$work:$work:ro" \
      --tmpfs /var/lib/docker:exec "$image" sleep infinity >/dev/null
    created+=("$name")
    git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - \
      | docker exec -i "$name" sh -ec "mkdir -p '$project'; tar -C '$project' -xf -"
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
  if [[ $become_kind == sudo-password ]]; then printf '      ansible_become_password: %s\n' "$become_password"; fi
  } >"$file"
}

# inside CONTAINER INVENTORY PLAYBOOK [ARG...]: ansible-playbook -c local in the container, from the
# checkout (so that its ansible.cfg applies, as on a laptop), with this script's Ansible settings, as
# root or (BENCH_BECOME=sudo-password) as the test user, with the venv's ansible-core or
# (BENCH_ANSIBLE=debian, unless inside_ansible=venv) Debian's. A variable unset here stays unset there.
inside_ansible=$ansible_kind
inside() {
  local name=$1 inv=$2 playbook=$3; shift 3
  local user=() cmd=("$inner_venv/bin/python3" "$venv/bin/ansible-playbook")
  if [[ $become_kind == sudo-password ]]; then user=(-u newcomer -e HOME=/home/newcomer); fi
  if [[ $inside_ansible == debian ]]; then cmd=(/usr/bin/ansible-playbook); fi
  docker exec -w "$project" "${user[@]}" -e ANSIBLE_COLLECTIONS_PATH -e ANSIBLE_INJECT_FACT_VARS -e ANSIBLE_NOCOLOR \
    -e ANSIBLE_CALLBACKS_ENABLED -e ANSIBLE_CALLBACK_PLUGINS -e ANSIBLE_CALLBACK_RESULT_FORMAT -e ANSIBLE_INTERPRETER_PYTHON \
    -e ANSIBLE_ROLES_PATH -e PROFILE_TASKS_TASK_OUTPUT_LIMIT -e PROFILE_TASKS_SORT_ORDER \
    "$name" "${cmd[@]}" -c local -i "$inv" "$playbook" "$@"
}
# The bare play becomes root as the site play does (one sudo for its one module), so that sudo's cost
# per module call is in both sides of (b) and (c).
bare_args=()
if [[ $become_kind == sudo-password ]]; then bare_args=(--become); fi

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

# prepare INVENTORY: the simulated WSL distro (tests/molecule/prepare.yml), then what BENCH_ANSIBLE and
# BENCH_BECOME need on every host of the inventory, each the same way: Debian's ansible-core and/or
# sudo and the test user, from Debian's mirror; then apt's lists are emptied again, as the image has
# them, so that every first converge fetches the lists itself, whatever the mode.
prepare() {
  local out
  out=$work/prepare-$(basename "$1").out
  ansible-playbook -i "$1" tests/molecule/prepare.yml >"$out" 2>&1 || { tail -40 "$out" >&2; return 1; }
  [[ $ansible_kind == venv && $become_kind == root ]] && return 0
  local packages=()
  if [[ $ansible_kind == debian ]]; then packages+=(ansible-core); fi
  if [[ $become_kind == sudo-password ]]; then packages+=(sudo); fi
  ansible -i "$1" all -m ansible.builtin.shell -a "set -e
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq ${packages[*]} >/dev/null
    if [ $become_kind = sudo-password ]; then
      useradd --create-home --shell /bin/bash --groups sudo newcomer
      echo newcomer:$become_password | chpasswd
      chown -R newcomer: '$project'
    fi
    rm -rf /var/lib/apt/lists/*
    apt-get clean" >>"$out" 2>&1 || { tail -40 "$out" >&2; return 1; }
}

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
# The manual procedure as root, or (BENCH_BECOME=sudo-password) pasted by the test user under one sudo.
manual_on() {
  if [[ $become_kind == sudo-password ]]; then
    docker exec -u newcomer "$1" sh -c "echo $become_password | sudo -S -p '' bash /root/manual.sh"
  else
    docker exec "$1" bash /root/manual.sh
  fi
}

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
  printf 'inside: BENCH_ANSIBLE=%s, BENCH_BECOME=%s\n' "$ansible_kind" "$become_kind"
} | tee "$work/machine.txt"
printf 'bench: working in %s\n' "$work"
local_inventory "$work/local.yml"
local_inventory "$work/local-notwsl.yml" wsl_gpu_kernel_release=null

if part a || part b; then
echo '(a) first converge: site.yml -c local inside vs the manual procedure'
start bench-site bench-manual
inventory "$work/site.yml" -- bench-site
inventory "$work/manual.yml" -- bench-manual
# After prepare, which makes the test user of BENCH_BECOME=sudo-password and installs BENCH_ANSIBLE=debian's ansible.
prepare "$work/site.yml"; prepare "$work/manual.yml"
inside bench-site "$work/local.yml" --version >"$work/version-inside.out" 2>&1 || { cat "$work/version-inside.out" >&2; exit 1; }
printf 'ansible (inside the containers, -c local): %s, python %s, config %s\n' "$(head -1 "$work/version-inside.out")" \
  "$(sed -n 's/^ *python version = \([^ ]*\).*(\(.*\))$/\1 (\2)/p' "$work/version-inside.out")" \
  "$(sed -n 's/^ *config file = //p' "$work/version-inside.out")" | tee -a "$work/machine.txt"
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
timed bare-on-site inside bench-site "$work/local.yml" bench/bare.yml "${bare_args[@]}"; b_bare=$secs
fi

if part c; then
echo '(c) refusal on a host that is not WSL vs a bare play, both -c local inside'
start bench-notwsl
inventory "$work/notwsl.yml" testbed_wsl=false -- bench-notwsl
prepare "$work/notwsl.yml"
timed site-refusal refused bench-notwsl "$work/local-notwsl.yml" playbooks/site.yml; c_site=$secs
grep -q 'wsl: this host is not WSL' "$work/site-refusal.out" || { echo 'bench: no refusal message' >&2; exit 1; }
timed bare-on-notwsl inside bench-notwsl "$work/local-notwsl.yml" bench/bare.yml "${bare_args[@]}"; c_bare=$secs
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

# (g) the same job by role docker_engine alone and by geerlingguy.docker, each in its own fresh
# container prepared the same way: Docker CE (the same five packages) from Docker's repository on the
# test bed's mirror, no users in the docker group, the compose plugin, dockerd not started. The
# peer's settings and why: bench/geerlingguy.yml and RESULTS.md. Its role is unpacked from the vendored
# tarball into the work directory, never into the project.
if part g; then
echo '(g) role docker_engine alone vs geerlingguy.docker, the same job: first run, then re-run without network'
tarball=${BENCH_GEERLINGGUY_TARBALL:-}
if [[ -z $tarball ]]; then
  # ../shared beside the main checkout (a worktree's git common dir is the main checkout's .git).
  main_checkout=$(dirname "$(git rev-parse --path-format=absolute --git-common-dir)")
  for tarball in "$project/../shared/vendor/geerlingguy.docker-8.0.0.tar.gz" \
    "$main_checkout/../shared/vendor/geerlingguy.docker-8.0.0.tar.gz"; do
    [[ -f $tarball ]] && break
  done
fi
[[ -f $tarball ]] || { echo "bench: no geerlingguy.docker tarball ($tarball); set BENCH_GEERLINGGUY_TARBALL" >&2; exit 1; }
# The sha256 that ../shared/vendor/README.md records for tag 8.0.0.
if [[ -z ${BENCH_GEERLINGGUY_TARBALL:-} ]]; then
  echo "aa0865f7fdd59f9b1112ef225f0801c7aec9ad019156b51372bbfeac8a44d012  $tarball" | sha256sum --quiet -c - \
    || { echo "bench: $tarball is not the vendored geerlingguy.docker 8.0.0" >&2; exit 1; }
fi
mkdir -p "$work/roles"
tar -C "$work/roles" -xzf "$tarball"
[[ -f $work/roles/geerlingguy.docker/tasks/main.yml ]] || { echo "bench: $tarball holds no geerlingguy.docker/" >&2; exit 1; }
# The peer needs ansible-core 2.15 or newer (ansible.builtin.deb822_repository), so with
# BENCH_ANSIBLE=debian (2.14) both sides of (g) run the venv's ansible-core.
if [[ $ansible_kind == debian ]]; then echo '  (g) runs the venv ansible-core on both sides: geerlingguy.docker needs 2.15 (deb822_repository)'; fi
inside_ansible=venv
export ANSIBLE_ROLES_PATH=$work/roles
start bench-ours bench-peer
inventory "$work/ours.yml" -- bench-ours
inventory "$work/peer.yml" -- bench-peer
prepare "$work/ours.yml"; prepare "$work/peer.yml"
timed ours-first inside bench-ours "$work/local.yml" bench/docker_engine.yml; g_ours_first=$secs
timed peer-first inside bench-peer "$work/local.yml" bench/geerlingguy.yml; g_peer_first=$secs
# The same job done: the same packages at the same versions on both.
docker_packages=(docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin)
for host in bench-ours bench-peer; do
  docker exec "$host" dpkg-query --show --showformat '${Package} ${Version} ${db:Status-Status}\n' "${docker_packages[@]}" \
    >"$work/packages-$host.txt"
done
if ! cmp -s "$work/packages-bench-ours.txt" "$work/packages-bench-peer.txt" || grep -qv ' installed$' "$work/packages-bench-ours.txt"; then
  echo 'bench: (g) the two sides did not install the same packages:' >&2
  diff "$work/packages-bench-ours.txt" "$work/packages-bench-peer.txt" >&2 || true
  exit 1
fi
sed 's/^/  installed on both: /' "$work/packages-bench-ours.txt"
for host in bench-ours bench-peer; do
  docker network disconnect bridge "$host"
  if docker exec "$host" getent ahosts deb.debian.org >/dev/null 2>&1; then echo "bench: $host still resolves names" >&2; exit 1; fi
done
# What dpkg did during a re-run: its log's new lines (none on an idempotent run).
dpkg_lines() { docker exec "$1" sh -c 'wc -l </var/log/dpkg.log'; }
dpkg_since() { docker exec "$1" tail -n "+$(($2 + 1))" /var/log/dpkg.log | grep -E ' (install|remove|purge|upgrade) ' || true; }
g_ours_dpkg=$(dpkg_lines bench-ours); g_peer_dpkg=$(dpkg_lines bench-peer)
timed ours-rerun-offline inside bench-ours "$work/local.yml" bench/docker_engine.yml; g_ours_rerun=$secs
recap_changed_zero ours-rerun-offline || { echo 'bench: the re-run of docker_engine changed something' >&2; exit 1; }
timed peer-rerun-offline inside bench-peer "$work/local.yml" bench/geerlingguy.yml; g_peer_rerun=$secs
g_peer_note=
recap_changed_zero peer-rerun-offline || g_peer_note=' (its re-run reported changes)'
for host in bench-ours bench-peer; do
  if [[ $host == bench-ours ]]; then since=$g_ours_dpkg; else since=$g_peer_dpkg; fi
  dpkg_since "$host" "$since" >"$work/dpkg-rerun-$host.txt"
  if [[ -s $work/dpkg-rerun-$host.txt ]]; then
    printf '  dpkg during the re-run on %s:\n' "$host"; sed 's/^/    /' "$work/dpkg-rerun-$host.txt"
  fi
done
inside_ansible=$ansible_kind
unset ANSIBLE_ROLES_PATH
docker rm -f bench-ours bench-peer >/dev/null
fi

verdict() { if [[ $(bc <<<"$1 <= $2") == 1 ]]; then echo met; else echo MISSED; fi; }
verdict_below() { if [[ $(bc <<<"$1 < $2") == 1 ]]; then echo met; else echo MISSED; fi; }
{
  printf '| measurement | collection | baseline | ratio | target |\n| --- | --: | --: | --: | --- |\n'
  part a && ra=$(ratio "$a_site" "$a_manual") && printf '| (a) first converge, -c local inside: site.yml vs manual.sh | %ss | %ss | %s× | ≤ 1.5× %s |\n' \
    "$a_site" "$a_manual" "$ra" "$(verdict "$ra" 1.5)"
  part b && rb=$(ratio "$b_site" "$b_bare") && printf '| (b) re-run, network disconnected, changed=0 vs bare play, both -c local inside | %ss | %ss | %s× | ≤ 4× %s |\n' \
    "$b_site" "$b_bare" "$rb" "$(verdict "$rb" 4)"
  part c && rc=$(ratio "$c_site" "$c_bare") && printf '| (c) refusal on a non-WSL host vs bare play, both -c local inside | %ss | %ss | %s× | ≤ 1.5× %s |\n' \
    "$c_site" "$c_bare" "$rc" "$(verdict "$rc" 1.5)"
  part d && rd=$(ratio "$d_fleet" "$d_one") && printf '| (d) %s laptops at once (each -c local on itself) vs 1, first converge | %ss | %ss | %s× | information |\n' \
    "$fleet_n" "$d_fleet" "$d_one" "$rd"
  part e && re=$(ratio "$e_fleet" "$e_one") && printf '| (e) fleet of %s from one controller (docker connection, forks %s) vs 1 host, first converge | %ss | %ss | %s× | ≤ 2.5× %s |\n' \
    "$fleet_n" "$fleet_n" "$e_fleet" "$e_one" "$re" "$(verdict "$re" 2.5)"
  part f && rf=$(ratio "$f_fleet" "$f_one") && printf '| (f) manual.sh on %s hosts at once vs 1 (the machine'"'"'s floor for (d) and (e)) | %ss | %ss | %s× | information |\n' \
    "$fleet_n" "$f_fleet" "$f_one" "$rf"
  part g && rg1=$(ratio "$g_ours_first" "$g_peer_first") && printf '| (g) role docker_engine alone vs geerlingguy.docker, first run, -c local inside | %ss | %ss | %s× | < 0.9× %s |\n' \
    "$g_ours_first" "$g_peer_first" "$rg1" "$(verdict_below "$rg1" 0.9)"
  part g && rg2=$(ratio "$g_ours_rerun" "$g_peer_rerun") && printf '| (g) role docker_engine alone vs geerlingguy.docker%s, re-run without network, -c local inside | %ss | %ss | %s× | < 0.9× %s |\n' \
    "$g_peer_note" "$g_ours_rerun" "$g_peer_rerun" "$rg2" "$(verdict_below "$rg2" 0.9)"
  true
} >"$work/table.md"
echo; cat "$work/table.md"
# Of each timed play (for RESULTS.md; of (d), its first laptop): the recap, the task counts (bench_counts)
# and the slowest tasks (profile_tasks).
for name in site-first site-rerun-offline bare-on-site site-refusal bare-on-notwsl site-one-local \
  "site-laptops-$fleet_n-${fleet[0]}" site-one-docker "site-fleet-$fleet_n" ours-first peer-first ours-rerun-offline \
  peer-rerun-offline; do
  [[ -f $work/$name.out ]] || continue
  printf '\n%s:\n' "$name"
  grep -E '^[^ ]+ +: ok=' "$work/$name.out" | sed -n "1{s/  */ /g; s/^/  recap: /; p}"
  grep '^bench counts: ' "$work/$name.out" | sed 's/^bench counts: /  counts: /'
  printf '  slowest tasks:\n'
  sed -n '/^=====.*$/,$p' "$work/$name.out" | grep -E ' -+ [0-9.]+s$' | sed -n 1,8p
done >"$work/profile.txt"
cat "$work/profile.txt"
printf '\nbench: outputs in %s (machine.txt, table.md, profile.txt, *.out)\n' "$work"
