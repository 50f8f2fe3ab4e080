#!/usr/bin/env bash
# Build the execution environment of tests/ee/execution-environment.yml offline, with ansible-builder and the
# local dockerd: this checkout's collection tarball and the community collections it needs (copied from the
# controller's venv, as installed), and every Python package as a wheel downloaded here from PyPI beforehand
# (what ansible-builder's introspection of those collections asks for, ansible-core, ansible-runner and the
# builder's own tools). System packages come from Debian's mirror inside the build. Tags dct/ee:test.
set -euo pipefail
root=$(cd -P "$(dirname "$0")/../.." && pwd)
ctx=$root/build/ee
site=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections
rm -rf "$ctx"
mkdir -p "$ctx/collections/community" "$ctx/wheels" "$ctx/introspect/ansible_collections/dct"

ansible-galaxy collection build --force --output-path "$ctx" "$root" >/dev/null
mv "$ctx"/dct-trust_stack-*.tar.gz "$ctx/collections/dct-trust_stack.tar.gz"
for c in docker crypto library_inventory_filtering_v1; do
  cp -a "$site/community/$c" "$ctx/collections/community/$c"
done

# what the collections ask for (meta/execution-environment.yml of each), as the builder will compute it
mkdir -p "$ctx/introspect/ansible_collections/dct/trust_stack"
tar -xzf "$ctx/collections/dct-trust_stack.tar.gz" -C "$ctx/introspect/ansible_collections/dct/trust_stack"
ln -s "$ctx/collections/community" "$ctx/introspect/ansible_collections/community"
ansible-builder introspect --sanitize --write-pip "$ctx/requirements.txt" --write-bindep "$ctx/bindep.txt" \
  "$ctx/introspect" >/dev/null
echo "== tests/ee/build.sh: Python requirements of the collections:"; sed 's/^/   /' "$ctx/requirements.txt"
echo "== tests/ee/build.sh: system packages:"; sed 's/^/   /' "$ctx/bindep.txt"

# wheels for the image's Python (Debian 12: CPython 3.11) and this machine's architecture
sed 's/ *#.*//' "$ctx/requirements.txt" | grep -v '^$' > "$ctx/requirements-pip.txt"
pip download --quiet --disable-pip-version-check --dest "$ctx/wheels" --only-binary=:all: \
  --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
  --platform "manylinux2014_$(uname -m)" --platform "manylinux_2_28_$(uname -m)" --platform any \
  -r "$ctx/requirements-pip.txt" \
  ansible-core==2.19.14 ansible-runner==2.4.3 bindep pyyaml packaging dumb-init==1.2.5 setuptools wheel \
  2> >(grep -v "^WARNING: Location" >&2)
echo "== tests/ee/build.sh: $(ls "$ctx/wheels" | wc -l) wheels"

cd "$root/tests/ee"
ansible-builder build --container-runtime docker --file execution-environment.yml --context "$ctx/context" \
  --tag dct/ee:test --verbosity 2
