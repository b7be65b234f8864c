#!/usr/bin/env bash
# Run every molecule scenario (or those named as arguments), each with its own
# timing, and fail at the end if any failed, listing which.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
scenarios=("$@")
if [[ ${#scenarios[@]} -eq 0 ]]; then
  # The full chain first: if it breaks, the rest tells less.
  scenarios=(default trixie newcomer newest check not_wsl no_dxg bad_fingerprint extra_key bad_daemon_json bad_input interrupted proxy systemd standalone driver_update pull_schedule fleet_injection)
fi
failed=()
summary=()
for s in "${scenarios[@]}"; do
  printf '\n==> molecule scenario %s\n' "$s"
  start=$SECONDS
  if molecule test -s "$s"; then result=passed; else result=FAILED; failed+=("$s"); fi
  summary+=("$(printf '%-16s %-7s %5ss' "$s" "$result" $((SECONDS - start)))")
done
printf '\nmolecule scenarios:\n'
printf '  %s\n' "${summary[@]}"
printf 'molecule: %s passed, %s failed\n' $((${#scenarios[@]} - ${#failed[@]})) ${#failed[@]}
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'failed: %s\n' "${failed[*]}"
  exit 1
fi
