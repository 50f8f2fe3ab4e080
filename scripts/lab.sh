#!/usr/bin/env bash
# `make lab`: build the images, deploy the lab stack on this machine with
# inventory/lab, and print where things are. `--destroy` removes the lab's
# containers, networks and volumes (not .lab/ and not the images), and the
# docker CLI's cached trust data of the lab registry's repositories, which would
# otherwise disagree with the new, empty notary database.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stack=trust

if [ "${1:-}" = "--destroy" ]; then
  docker ps -aq --filter "name=^${stack}_" | xargs -r docker rm -f
  docker network ls -q --filter "name=^${stack}_" | xargs -r docker network rm
  docker volume ls -q --filter "name=^${stack}_" | xargs -r docker volume rm
  rm -rf "${HOME}/.docker/trust/tuf/localhost:5000"
  exit 0
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
