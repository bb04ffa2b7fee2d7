#!/usr/bin/env bash
# The CMU IPFS node: Kubo (scripts/build-kubo.sh) with its own repository under
# ~/.cache/cmu/run/ipfs, offline (no peers, no bootstrap), API on 127.0.0.1:$CMU_IPFS_API_PORT
# (5001) and gateway on 127.0.0.1:$CMU_IPFS_GATEWAY_PORT (8080) only.
#   scripts/ipfs.sh start    start (waits until the API answers)
#   scripts/ipfs.sh stop     stop; the repository (pinned data) is kept
#   scripts/ipfs.sh status   running or not (exit 0 when running)
#   scripts/ipfs.sh reset    stop and delete the repository
#   scripts/ipfs.sh logs     follow the log
source "$(dirname "$0")/common.sh"

export IPFS_PATH="$CMU_RUN/ipfs"
IPFS_PID="$CMU_RUN/ipfs.pid"
IPFS_LOG="$CMU_LOGS/ipfs.log"
START_TIMEOUT="${CMU_IPFS_START_TIMEOUT:-60}"

api_ready() {
  curl -sf -m 3 -X POST "http://127.0.0.1:$IPFS_API_PORT/api/v0/version" | grep -q '"Version"'
}

# Creates the repository on first start; settings are (re)applied on every start so that a
# changed port takes effect.
ipfs_configure() {
  if [ ! -f "$IPFS_PATH/config" ]; then
    log "creating the IPFS repository $IPFS_PATH"
    mkdir -p "$IPFS_PATH"
    "$KUBO_BIN" init --empty-repo --profile test >> "$IPFS_LOG" 2>&1 \
      || die "ipfs init failed; log: $IPFS_LOG"
  fi
  local cfg=(
    Addresses.API "\"/ip4/127.0.0.1/tcp/$IPFS_API_PORT\""
    Addresses.Gateway "\"/ip4/127.0.0.1/tcp/$IPFS_GATEWAY_PORT\""
    Addresses.Swarm '[]'
    Addresses.Announce '[]'
    Bootstrap '[]'
    Discovery.MDNS.Enabled false
    AutoTLS.Enabled false
    Routing.Type '"none"'
  )
  local i
  for ((i = 0; i < ${#cfg[@]}; i += 2)); do
    "$KUBO_BIN" config --json "${cfg[i]}" "${cfg[i + 1]}" >> "$IPFS_LOG" 2>&1 \
      || die "ipfs config ${cfg[i]} failed; log: $IPFS_LOG"
  done
}

ipfs_start() {
  if live_pid "$IPFS_PID" >/dev/null; then
    wait_for "$START_TIMEOUT" api_ready \
      || die "Kubo (pid $(live_pid "$IPFS_PID")) does not answer; log: $IPFS_LOG"
    log "Kubo already running: API http://127.0.0.1:$IPFS_API_PORT"
    return 0
  fi
  [ -x "$KUBO_BIN" ] || die "Kubo is not built; run scripts/setup.sh (or scripts/build-kubo.sh)"
  port_open "$IPFS_API_PORT" && die "port $IPFS_API_PORT is used by another process; stop it or set CMU_IPFS_API_PORT"
  port_open "$IPFS_GATEWAY_PORT" && die "port $IPFS_GATEWAY_PORT is used by another process; stop it or set CMU_IPFS_GATEWAY_PORT"
  printf '\n=== %s ipfs start\n' "$(date -Is)" >> "$IPFS_LOG"
  ipfs_configure
  log "starting Kubo (offline): API http://127.0.0.1:$IPFS_API_PORT, gateway http://127.0.0.1:$IPFS_GATEWAY_PORT (log: $IPFS_LOG)"
  setsid "$KUBO_BIN" daemon --offline >> "$IPFS_LOG" 2>&1 < /dev/null &
  echo $! > "$IPFS_PID"
  local deadline=$((SECONDS + START_TIMEOUT))
  until api_ready; do
    if ! live_pid "$IPFS_PID" >/dev/null; then
      rm -f "$IPFS_PID"
      tail -n 20 "$IPFS_LOG" >&2
      die "Kubo exited during start; log: $IPFS_LOG"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      stop_pidfile "$IPFS_PID" 10
      die "Kubo did not answer within ${START_TIMEOUT}s; log: $IPFS_LOG"
    fi
    sleep 0.5
  done
  log "Kubo ready: API http://127.0.0.1:$IPFS_API_PORT"
}

ipfs_stop() {
  if live_pid "$IPFS_PID" >/dev/null; then
    stop_pidfile "$IPFS_PID" 15
    log "Kubo stopped (repository kept in $IPFS_PATH)"
  else
    rm -f "$IPFS_PID"
    log "Kubo is not running"
  fi
}

ipfs_status() {
  local pid
  if pid="$(live_pid "$IPFS_PID")" && api_ready; then
    echo "ipfs: running (pid $pid); API http://127.0.0.1:$IPFS_API_PORT, gateway http://127.0.0.1:$IPFS_GATEWAY_PORT; repo $IPFS_PATH; log $IPFS_LOG"
  elif [ -n "${pid:-}" ]; then
    echo "ipfs: process $pid alive but API not answering; log $IPFS_LOG"
    return 1
  else
    echo "ipfs: stopped"
    return 3
  fi
}

ipfs_reset() {
  stop_pidfile "$IPFS_PID" 15
  rm -rf "$IPFS_PATH"
  log "IPFS repository deleted: the next start begins empty"
}

case "${1:-}" in
  start) ipfs_start ;;
  stop) ipfs_stop ;;
  status) ipfs_status ;;
  reset) ipfs_reset ;;
  logs) touch "$IPFS_LOG"; exec tail -n 50 -f "$IPFS_LOG" ;;
  *) echo "usage: $0 {start|stop|status|reset|logs}" >&2; exit 2 ;;
esac
