#!/usr/bin/env bash
# make bench: the collection against the manual procedure and against a bare play, on fresh
# test-bed containers (wsl-cuda-testbed:bookworm, the same mirrors). Prints the ratios and writes
# bench/RESULTS.md. Not a test: it takes minutes and its numbers depend on the machine.
#   BENCH_FLEET_N   hosts of the fleet run (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
project=$PWD
export PATH=$project/.venv/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=$project/.collections:$project/.venv/lib/python3.11/site-packages
export ANSIBLE_INJECT_FACT_VARS=false ANSIBLE_NOCOLOR=1 ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_INTERPRETER_PYTHON=auto_silent
fleet_n=${BENCH_FLEET_N:-20}
image=wsl-cuda-testbed:bookworm
testbed=$project/.cache/testbed
work=$(mktemp -d /tmp/wsl-cuda-bench.XXXXXX)
log=$work/log
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

start() {
  docker rm -f "$@" >/dev/null 2>&1 || true
  for name in "$@"; do
    docker run -d --name "$name" "${cap_args[@]}" --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v "$testbed:/srv/testbed:ro" -v "$testbed/repos:/srv/mirror:ro" \
      --tmpfs /var/lib/docker:exec "$image" sleep infinity >/dev/null
    created+=("$name")
  done
}

# inventory FILE [var=value ...] -- HOST...: the molecule scenarios' group_vars, as a team's mirror settings.
inventory() {
  local file=$1; shift
  local extra=()
  while [[ $1 != -- ]]; do extra+=("$1"); shift; done
  shift
  {
    printf 'all:\n  vars:\n'
    printf '    ansible_connection: community.docker.docker\n'
    printf '    docker_engine_repo_url: file:///srv/mirror/download.docker.com/linux/debian\n'
    printf '    docker_engine_repo_key_fingerprint: %s\n' "$(cat "$testbed/repos/docker.fingerprint")"
    printf '    nvidia_repo_base_url: file:///srv/mirror/nvidia.github.io/libnvidia-container\n'
    printf '    nvidia_repo_key_fingerprint: %s\n' "$(cat "$testbed/repos/nvidia.fingerprint")"
    printf '    wsl_gpu_kernel_release: 5.15.167.4-microsoft-standard-WSL2\n'
    printf '    nbody_smoke_image_archive: /srv/testbed/nbody-image.tar\n'
    printf '    nbody_smoke_min_gflops: 0.1\n'
    for kv in "${extra[@]}"; do printf '    %s: %s\n' "${kv%%=*}" "${kv#*=}"; done
    printf '  hosts:\n'
    for host in "$@"; do printf '    %s:\n' "$host"; done
  } >"$file"
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
recap_changed_zero() { grep -Eq "changed=0 +unreachable=0 +failed=0" "$work/$1.out" && ! grep -Eq "changed=[1-9]" "$work/$1.out"; }

prepare() { ansible-playbook -i "$1" tests/molecule/prepare.yml >"$work/prepare-$(basename "$1").out" 2>&1; }
site() { ansible-playbook -i "$1" playbooks/site.yml "${@:2}"; }
bare() { ansible-playbook -i "$1" bench/bare.yml; }

printf 'bench: working in %s\n' "$work"

echo '(a) first converge: site.yml vs the manual procedure'
start bench-site bench-manual
inventory "$work/site.yml" -- bench-site
inventory "$work/manual.yml" -- bench-manual
prepare "$work/site.yml"; prepare "$work/manual.yml"
docker cp bench/manual.sh bench-manual:/root/manual.sh
timed manual docker exec bench-manual bash /root/manual.sh; a_manual=$secs
timed site-first site "$work/site.yml"; a_site=$secs

echo '(b) idempotent re-run without network vs a bare play'
docker network disconnect bridge bench-site
if docker exec bench-site getent ahosts deb.debian.org >/dev/null 2>&1; then echo 'bench: bench-site still resolves names' >&2; exit 1; fi
timed site-rerun-offline site "$work/site.yml"; b_site=$secs
recap_changed_zero site-rerun-offline || { echo 'bench: the re-run changed something' >&2; exit 1; }
timed bare-on-site bare "$work/site.yml"; b_bare=$secs

echo '(c) refusal on a host that is not WSL vs a bare play'
start bench-notwsl
inventory "$work/notwsl.yml" testbed_wsl=false wsl_gpu_kernel_release=null -- bench-notwsl
prepare "$work/notwsl.yml"
timed site-refusal bash -c "! ansible-playbook -i '$work/notwsl.yml' playbooks/site.yml"; c_site=$secs
grep -q 'wsl: this host is not WSL' "$work/site-refusal.out" || { echo 'bench: no refusal message' >&2; exit 1; }
timed bare-on-notwsl bare "$work/notwsl.yml"; c_bare=$secs

echo "(d) fleet: $fleet_n hosts (forks $fleet_n) vs 1"
fleet=()
for i in $(seq -f '%02g' 1 "$fleet_n"); do fleet+=("bench-fleet-$i"); done
start bench-one "${fleet[@]}"
inventory "$work/one.yml" -- bench-one
inventory "$work/fleet.yml" -- "${fleet[@]}"
prepare "$work/one.yml"; ANSIBLE_FORKS=$fleet_n prepare "$work/fleet.yml"
timed site-one site "$work/one.yml"; d_one=$secs
timed "site-fleet-$fleet_n" env ANSIBLE_FORKS="$fleet_n" ansible-playbook -i "$work/fleet.yml" playbooks/site.yml; d_fleet=$secs

ra=$(ratio "$a_site" "$a_manual"); rb=$(ratio "$b_site" "$b_bare"); rc=$(ratio "$c_site" "$c_bare"); rd=$(ratio "$d_fleet" "$d_one")
verdict() { if [[ $(bc <<<"$1 <= $2") == 1 ]]; then echo met; else echo MISSED; fi; }
{
  printf '| measurement | collection | baseline | ratio | target |\n| --- | --: | --: | --: | --- |\n'
  printf '| (a) first converge: site.yml vs manual.sh | %ss | %ss | %s× | ≤ 1.2× %s |\n' "$a_site" "$a_manual" "$ra" "$(verdict "$ra" 1.2)"
  printf '| (b) re-run, network disconnected, changed=0 vs bare play | %ss | %ss | %s× | ≤ 2× %s |\n' "$b_site" "$b_bare" "$rb" "$(verdict "$rb" 2)"
  printf '| (c) refusal on a non-WSL host vs bare play | %ss | %ss | %s× | ≤ 1.5× %s |\n' "$c_site" "$c_bare" "$rc" "$(verdict "$rc" 1.5)"
  printf '| (d) fleet of %s (forks %s) vs 1 host, first converge | %ss | %ss | %s× | ≤ 2.5× %s |\n' "$fleet_n" "$fleet_n" "$d_fleet" "$d_one" "$rd" "$(verdict "$rd" 2.5)"
} >"$work/table.md"
echo; cat "$work/table.md"
# The slowest tasks of each timed play (profile_tasks), for RESULTS.md.
for name in site-first site-rerun-offline site-refusal site-one "site-fleet-$fleet_n"; do
  printf '\n%s, slowest tasks:\n' "$name"
  sed -n '/^=====.*$/,$p' "$work/$name.out" | grep -E ' -+ [0-9.]+s$' | head -8
done >"$work/profile.txt"
cat "$work/profile.txt"
printf '\nbench: outputs in %s (table.md, profile.txt, *.out)\n' "$work"
