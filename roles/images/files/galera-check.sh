#!/bin/sh
# dct-galera-check: one HTTP exchange on standard input and output (socat runs it for each connection the
# balancers' health checks make): 200 when this Galera node is Synced (wsrep_local_state 4) in the primary
# component and accepts queries, else 503 with the reason. Reads the node's status over its unix socket as the
# mysql user (unix-socket authentication), so it needs no account and no password.
cr=$(printf '\r')
# read the request up to its empty line (answering before it is read makes the peer see a reset)
while IFS= read -r line; do
  case "$line" in "" | "$cr") break ;; esac
done
state=$(timeout 3 mariadb -NB -e "SELECT
    (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'),
    (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_STATUS'),
    @@global.wsrep_reject_queries" 2>&1 | tr '\t\n' '  ')
case "$state" in
  "Synced Primary NONE ") code="200 OK" ;;
  *) code="503 Service Unavailable" ;;
esac
body="galera node: ${state:-no answer}"
printf 'HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s\n' \
  "$code" "$(( ${#body} + 1 ))" "$body"
