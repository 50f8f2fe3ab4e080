#!/usr/bin/env bash
# Run `molecule test` for the scenarios given (make molecule passes $(SCENARIOS)).
# `images` runs first (the others use what it builds), then the others in parallel (each has its own stack name, ports
# and ephemeral directory), then `upgrade` alone (its earlier versions build the service images from their recipes),
# and `faults` last and alone (it restarts dockerd). Each scenario's output goes to build/test-results/molecule-<scenario>.log;
# a failed scenario's log tail is printed. Stops after the first group that fails.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS=build/test-results
mkdir -p "$LOGS"

serial_first=() parallel=() serial_last=() last=()
for s in "$@"; do
  case "$s" in
    images) serial_first+=("$s") ;;
    # upgrade deploys earlier versions, whose images role builds the service images (the same names) from their own
    # recipes until the upgrade builds them again: alone, after the others, before faults
    upgrade) serial_last+=("$s") ;;
    faults) last+=("$s") ;;
    *) parallel+=("$s") ;;
  esac
done
serial_last+=("${last[@]}")

started() { date +%s; }
report() {  # scenario, exit code, start time[, end time]
  local s=$1 rc=$2 t0=$3 t1=${4:-$(date +%s)}
  if [ "$rc" -eq 0 ]; then
    echo "== molecule test -s $s: passed in $(( t1 - t0 )) s (log: $LOGS/molecule-$s.log)"
  else
    echo "== molecule test -s $s: FAILED (exit $rc) after $(( t1 - t0 )) s; last lines of $LOGS/molecule-$s.log:"
    tail -n 150 "$LOGS/molecule-$s.log"
    # last, so that a reader who sees only the end of the output still sees which checks failed and why
    echo "== molecule test -s $s: what failed (pytest's short summary and failed tasks):"
    grep -E '^(FAILED|ERROR) |^E   |^\[ERROR\]: |^fatal: |^failed: ' "$LOGS/molecule-$s.log" | cut -c1-400 | tail -n 25
  fi
}

run_serial() {
  local s t0 rc
  for s in "$@"; do
    echo "== molecule test -s $s"
    t0=$(started)
    molecule test -s "$s" 2>&1 | tee "$LOGS/molecule-$s.log"
    rc=${PIPESTATUS[0]}
    report "$s" "$rc" "$t0"
    [ "$rc" -eq 0 ] || return "$rc"
  done
}

run_parallel() {
  [ "$#" -gt 0 ] || return 0
  local s failed=0 t0
  declare -A pids
  t0=$(started)
  for s in "$@"; do
    echo "== molecule test -s $s (in parallel with: $*)"
    # the scenario's end time goes beside its log, so each reports its own duration
    bash -c 'molecule test -s "$1" >"$2" 2>&1; rc=$?; date +%s >"$2.end"; exit $rc' _ "$s" "$LOGS/molecule-$s.log" &
    pids[$s]=$!
    # molecule's prerun reinstalls this collection into ~/.ansible/collections (ansible-galaxy --force);
    # two at once collide, so start the next scenario once this one is past it
    for _ in $(seq 1 240); do
      grep -q "\[$s > destroy\]" "$LOGS/molecule-$s.log" 2>/dev/null && break
      kill -0 "${pids[$s]}" 2>/dev/null || break
      sleep 0.5
    done
  done
  for s in "$@"; do
    wait "${pids[$s]}"
    local rc=$?
    report "$s" "$rc" "$t0" "$(cat "$LOGS/molecule-$s.log.end")"
    [ "$rc" -eq 0 ] || failed=$rc
  done
  return "$failed"
}

run_serial "${serial_first[@]}" && run_parallel "${parallel[@]}" && run_serial "${serial_last[@]}"
