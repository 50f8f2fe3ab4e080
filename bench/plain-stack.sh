#!/usr/bin/env bash
# The same stack by hand, for `make bench`: what people do without the collection. Plain `docker
# network/volume/run` and `mysql` through `docker exec`, with the images the images role built and the
# config files, certificates and passwords the collection's first (untimed) run wrote:
#   /etc/dct-trust-stack/<stack>/<service>/   and   <controller dir>/credentials/
# Usage: plain-stack.sh <stack> <controller dir> <notary port> <registry port>
set -euo pipefail
stack=$1 state=$2 notary_port=$3 registry_port=$4
etc=/etc/dct-trust-stack/$stack
cred() { cat "$state/credentials/$1"; }
hardening=(--restart unless-stopped --security-opt no-new-privileges --cap-drop ALL --read-only)

docker network create "${stack}_front" >/dev/null
docker network create --internal "${stack}_backend" >/dev/null
docker network create --internal "${stack}_signer" >/dev/null
docker network create --internal "${stack}_db" >/dev/null
docker volume create "${stack}_mariadb_data" >/dev/null
docker volume create "${stack}_registry_data" >/dev/null

# the front (nginx): the only published ports; it looks the backends up when asked, so it starts first
docker create --name "${stack}_front" "${hardening[@]}" --network "${stack}_front" \
  --network-alias registry --network-alias notary-server \
  -p "127.0.0.1:$registry_port:5000" -p "127.0.0.1:$notary_port:4443" -v "$etc/front:/etc/dct:ro" \
  --tmpfs /tmp:uid=993,gid=993 dct/front:1.22.1 >/dev/null
docker network connect "${stack}_backend" "${stack}_front"
docker start "${stack}_front" >/dev/null

# MariaDB
docker run -d --name "${stack}_mariadb" "${hardening[@]}" --network "${stack}_db" --network-alias mariadb \
  -v "$etc/mariadb:/etc/dct:ro" -v "${stack}_mariadb_data:/var/lib/mysql" \
  --tmpfs /run/mysqld:uid=992,gid=992 --tmpfs /tmp:uid=992,gid=992 \
  dct/mariadb:10.11 --defaults-extra-file=/etc/dct/dct.cnf >/dev/null
until docker exec "${stack}_mariadb" mariadb -e 'SELECT 1' >/dev/null 2>&1; do sleep 0.5; done
docker exec -i "${stack}_mariadb" mariadb <<SQL
CREATE DATABASE notaryserver CHARACTER SET utf8;
CREATE DATABASE notarysigner CHARACTER SET utf8;
CREATE USER 'server'@'%' IDENTIFIED BY '$(cred mariadb_server)';
CREATE USER 'signer'@'%' IDENTIFIED BY '$(cred mariadb_signer)';
GRANT SELECT, INSERT, UPDATE, DELETE ON notaryserver.* TO 'server'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON notarysigner.* TO 'signer'@'%';
SQL
migrations=$(dirname "$0")/../roles/mariadb/files/migrations
cat "$migrations"/notaryserver/*.sql | docker exec -i "${stack}_mariadb" mariadb notaryserver
cat "$migrations"/notarysigner/*.sql | docker exec -i "${stack}_mariadb" mariadb notarysigner

# notary-signer, then notary-server, then the registry
docker create --name "${stack}_notary_signer" "${hardening[@]}" --network "${stack}_signer" --network-alias notary-signer \
  -v "$etc/notary_signer:/etc/dct:ro" \
  -e "NOTARY_SIGNER_STORAGE_DB_URL=signer:$(cred mariadb_signer)@tcp(mariadb:3306)/notarysigner?parseTime=True" \
  -e "NOTARY_SIGNER_TIMESTAMP_1=$(cred notary_signer_timestamp_1)" \
  dct/notary:0.7.0 notary-signer -config /etc/dct/signer-config.json >/dev/null
docker network connect "${stack}_db" "${stack}_notary_signer"
docker start "${stack}_notary_signer" >/dev/null

docker create --name "${stack}_notary_server" "${hardening[@]}" --network "${stack}_backend" --network-alias notary-server-backend \
  -v "$etc/notary_server:/etc/dct:ro" \
  -e "NOTARY_SERVER_STORAGE_DB_URL=server:$(cred mariadb_server)@tcp(mariadb:3306)/notaryserver?parseTime=True" \
  dct/notary:0.7.0 notary-server -config /etc/dct/server-config.json >/dev/null
docker network connect "${stack}_signer" "${stack}_notary_server"
docker network connect "${stack}_db" "${stack}_notary_server"
docker start "${stack}_notary_server" >/dev/null

docker run -d --name "${stack}_registry" "${hardening[@]}" --network "${stack}_backend" --network-alias registry-backend \
  -v "$etc/registry:/etc/dct:ro" -v "${stack}_registry_data:/var/lib/docker-registry" \
  -e "REGISTRY_HTTP_SECRET=$(cred registry_http_secret)" \
  dct/registry:2.8.2 serve /etc/dct/config.yml >/dev/null

# ready when notary-server reports healthy (after its first trust-service check) and the registry answers,
# both through the front (the registry as the admin user, with the password on curl's stdin)
ca=$etc/notary_server/ca.crt
sleep 11
until curl -sf --cacert "$ca" "https://localhost:$notary_port/_notary_server/health" >/dev/null; do sleep 0.5; done
until printf 'user = "admin:%s"\n' "$(cred registry_admin)" | curl -sf -K - -o /dev/null --cacert "$ca" \
    "https://localhost:$registry_port/v2/"; do sleep 0.5; done
