#!/usr/bin/env bash
# Run one stage of `make test` and record how long it took; `--summary` prints
# the table. Durations are kept in .cache/stages for the summary.
set -euo pipefail
log=.cache/stages
mkdir -p .cache
if [[ ${1-} == --summary ]]; then
  printf '\n%-10s %8s\n' stage seconds
  awk '{printf "%-10s %8s\n", $1, $2; t += $2} END {printf "%-10s %8s\n", "total", t}' "$log"
  rm -f "$log"
  exit 0
fi
name=$1
shift
printf '\n==> %s\n' "$name"
start=$SECONDS
status=0
"$@" || status=$?
elapsed=$((SECONDS - start))
echo "$name $elapsed" >> "$log"
printf '<== %s: %ss (exit %s)\n' "$name" "$elapsed" "$status"
exit "$status"
