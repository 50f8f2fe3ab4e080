#!/usr/bin/env bash
# Make sure a Docker engine answers on /var/run/docker.sock.
# On a fresh Debian machine (as root): install docker.io and debootstrap from
# Debian, start dockerd in the background and wait for its socket.
# Prints what it did; does nothing when a daemon already answers.
set -euo pipefail

log() { printf 'bootstrap-docker: %s\n' "$*"; }
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dct-dockerd.log}

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
command -v notary >/dev/null 2>&1 || need_pkgs+=(notary)
command -v podman >/dev/null 2>&1 || need_pkgs+=(podman)
command -v ssh >/dev/null 2>&1 || need_pkgs+=(openssh-client)
# the ha scenario's and make bench's read load (tests/wrkload.py)
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing ${need_pkgs[*]} and not root: install them and start dockerd, then run again" >&2
    exit 1
  fi
  log "installing ${need_pkgs[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  log "a Docker daemon already answers"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  log "no Docker daemon answers and not root: start dockerd yourself" >&2
  exit 1
fi

log "starting dockerd in the background (log: $DOCKERD_LOG)"
nohup dockerd >"$DOCKERD_LOG" 2>&1 &
echo $! > /run/dct-dockerd.pid
for _ in $(seq 1 120); do
  if [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1; then
    log "dockerd is up (pid $(cat /run/dct-dockerd.pid))"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 60 s; last lines of $DOCKERD_LOG:" >&2
tail -n 30 "$DOCKERD_LOG" >&2
exit 1
