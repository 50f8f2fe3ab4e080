#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of this checkout.
# ansible-test wants the collection under ansible_collections/<ns>/<name>, in a git
# work tree of its own (it lists files with git). Its pip bootstrap script comes from
# a host this network does not reach: tests/sanity/get_pip_offline.py stands in for it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
copy=$root/build/sanity/ansible_collections/dct/trust_stack

pip_version=$(python - <<'PY'
import re, ansible_test, pathlib
src = pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py'
print(re.search(r"pip='([0-9.]+)'", src.read_text()).group(1))
PY
)
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
cp "$root/tests/sanity/get_pip_offline.py" "$cache/get_pip_${pip_version//./_}.py"

rm -rf "$root/build/sanity"
mkdir -p "$copy"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -c) | tar -x -C "$copy"
cd "$copy"
git init -q . && git add -A
ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no --requirements "$@"
