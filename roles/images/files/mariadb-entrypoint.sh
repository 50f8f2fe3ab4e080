#!/bin/sh
# Entry point of the dct.trust_stack MariaDB image: creates the system tables
# in an empty data directory (root and mysql@localhost authenticate by unix
# socket only; the mariadb role sets passwords), then runs mariadbd.
set -eu
datadir=/var/lib/mysql
if [ ! -d "$datadir/mysql" ]; then
  echo "dct-mariadb-entrypoint: initialising $datadir"
  mariadb-install-db --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=socket --auth-root-socket-user=mysql >/dev/null
fi
exec mariadbd "$@"
