#!/bin/sh
# The ha scenario's test host: dockerd, started again a second after it stops (as systemd's Restart=always
# would), and sshd in the foreground.
set -eu
mkdir -p /var/log
(
  while :; do
    dockerd --host unix:///var/run/docker.sock >>/var/log/dockerd.log 2>&1 || true
    echo "ha-host: dockerd stopped; starting it again" >>/var/log/dockerd.log
    sleep 1
  done
) &
exec /usr/sbin/sshd -D -e
