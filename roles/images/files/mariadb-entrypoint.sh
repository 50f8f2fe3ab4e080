#!/bin/sh
# Entry point of the dct.trust_stack MariaDB image: creates the system tables
# in an empty data directory (root and mysql@localhost authenticate by unix
# socket only; the mariadb role sets passwords), then runs mariadbd.
# A Galera node (the galera role) whose data directory holds the file
# dct-new-cluster starts a new cluster from its data (--wsrep-new-cluster),
# once: the file is removed first, so a restart joins the cluster again.
# With DCT_GALERA_CHECK_ADDRESS and DCT_GALERA_CHECK_PORT (the galera role sets
# them), the node's state is served there over HTTP for the balancers' health
# checks (dct-galera-check: 200 when Synced and primary, else 503).
set -eu
datadir=/var/lib/mysql
if [ ! -d "$datadir/mysql" ]; then
  echo "dct-mariadb-entrypoint: initialising $datadir"
  mariadb-install-db --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=socket --auth-root-socket-user=mysql >/dev/null
fi
if [ -e "$datadir/dct-new-cluster" ]; then
  rm -f "$datadir/dct-new-cluster"
  echo "dct-mariadb-entrypoint: starting a new Galera cluster from this node's data"
  set -- "$@" --wsrep-new-cluster
fi
if [ -n "${DCT_GALERA_CHECK_PORT:-}" ]; then
  case "${DCT_GALERA_CHECK_ADDRESS:?}" in
    *:*) listen="TCP6-LISTEN:$DCT_GALERA_CHECK_PORT,bind=[$DCT_GALERA_CHECK_ADDRESS]" ;;
    *) listen="TCP4-LISTEN:$DCT_GALERA_CHECK_PORT,bind=$DCT_GALERA_CHECK_ADDRESS" ;;
  esac
  socat -T 5 "$listen,reuseaddr,fork" EXEC:/usr/local/bin/dct-galera-check &
fi
exec mariadbd "$@"
