#!/usr/bin/env bash
# `make lab`: build the images, deploy the lab stack on this machine with
# inventory/lab, and print where things are. `--destroy` removes the lab's
# containers, networks and volumes (not .lab/ and not the images), and the
# cached trust data of the lab registry's repositories, which would otherwise
# disagree with the new, empty notary database. The lab signs its demo in a trust
# directory of its own, .lab/docker, so a root key already in ~/.docker/trust is
# neither needed nor touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stack=trust

# Cached trust data of the lab registry's repositories: root's docker trust directory (also the notary CLI's and
# the lookup's, through ~/.notary/config.json), the lab's own trust directory and the lookup's default cache.
forget_trust_cache() {
  rm -rf "${HOME}/.docker/trust/tuf/localhost:5000" .lab/docker/trust/tuf/localhost:5000 \
    "${HOME}/.cache/dct.trust_stack/notary/localhost:4443/tuf/localhost:5000"
}

destroy() {
  docker ps -aq --filter "name=^${stack}_" | xargs -r docker rm -f
  docker network ls -q --filter "name=^${stack}_" | xargs -r docker network rm
  docker volume ls -q --filter "name=^${stack}_" | xargs -r docker volume rm
  forget_trust_cache
}

if [ "${1:-}" = "--destroy" ]; then
  destroy
  exit 0
fi

# The lab's volumes hold data only the .lab/credentials of the checkout that made them opens (database passwords,
# signer alias passphrases); that checkout is noted in $owner. Volumes of another checkout's lab, or of a removed
# .lab/, cannot be used from here, so they go.
owner="${HOME}/.dct-trust-stack/lab/${stack}.checkout"
if [ -n "$(docker volume ls -q --filter "name=^${stack}_")" ]; then
  made_by=$(cat "$owner" 2>/dev/null || true)
  if [ ! -d .lab/credentials ] || { [ -n "$made_by" ] && [ "$made_by" != "$root" ]; }; then
    echo "== make lab: the ${stack}_ volumes were made by ${made_by:-a lab whose .lab/ is gone}, and this checkout's"
    echo "   .lab/credentials cannot open them; removing that lab first"
    destroy
  fi
fi
mkdir -p "$(dirname "$owner")" && echo "$root" > "$owner"
# A new notary database: cached trust data of the lab's repositories would disagree with it.
if ! docker volume inspect "${stack}_mariadb_data" >/dev/null 2>&1; then
  forget_trust_cache
fi

mkdir -p .lab && chmod 0700 .lab
echo "== make lab: deploying with inventory/lab (log: .lab/site.log)"
ansible-playbook -i inventory/lab playbooks/site.yml | tee .lab/site.log
echo "== make lab: signing and pulling the demo image (log: .lab/demo.log)"
ansible-playbook -i inventory/lab playbooks/lab_demo.yml | tee .lab/demo.log
grep -A3 'PLAY RECAP' .lab/site.log | tail -n +1
cat <<EOT

== lab ready
notary server:   https://localhost:4443   (health: /_notary_server/health)
registry:        https://localhost:5000   (user admin, password in .lab/credentials/registry_admin)
lab CA:          $root/.lab/pki/ca.crt
credentials:     $root/.lab/credentials/   (generated once, mode 0600)
host files:      /etc/dct-trust-stack/$stack/
images:          $(docker images --format '{{.Repository}}:{{.Tag}}' 'dct/*' | tr '\n' ' ')
containers:      $(docker ps --filter "name=^${stack}_" --format '{{.Names}}' | tr '\n' ' ')

demo:            localhost:5000/demo/hello:1.0, signed by "demo"

Try it (a login shell reads /etc/profile.d/dct-trust.sh):
  bash -lc 'docker trust inspect --pretty localhost:5000/demo/hello'
  curl --cacert .lab/pki/ca.crt https://localhost:4443/_notary_server/health
  make clean-lab   # removes the lab's containers, networks and volumes
EOT
