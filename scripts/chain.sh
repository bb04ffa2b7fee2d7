#!/usr/bin/env bash
# The CMU dev chain: chopsticks (pinned in package-lock.json) running the CMU runtime from
# its raw chain spec, on ws://127.0.0.1:$CMU_CHAIN_PORT (9944), instant block building,
# state in an sqlite database that survives stop/start.
#   scripts/chain.sh start    start (waits until the RPC answers)
#   scripts/chain.sh stop     stop; state is kept
#   scripts/chain.sh status   running or not (exit 0 when running)
#   scripts/chain.sh reset    stop and wipe the database: the next start is at genesis
#   scripts/chain.sh logs     follow the log
# Needs scripts/setup.sh (chopsticks) and scripts/build-runtime.sh (the chain spec).
source "$(dirname "$0")/common.sh"

CHAIN_DIR="$CMU_RUN/chain"
CHAIN_DB="$CHAIN_DIR/db.sqlite"
CHAIN_SPEC_STAMP="$CHAIN_DIR/spec.sha256"  # the spec the database was started from
CHAIN_PID="$CMU_RUN/chain.pid"
CHAIN_LOG="$CMU_LOGS/chain.log"
CHAIN_PORT_FILE="$CHAIN_DIR/rpc.port"       # the port of the running chain, for `stop`
CHAIN_CONFIG="$CMU_ROOT/runtime-config/chopsticks.yml"
CHOPSTICKS="$CMU_NODE_MODULES/.bin/chopsticks"
START_TIMEOUT="${CMU_CHAIN_START_TIMEOUT:-120}"

# Whether the JSON-RPC on the port answers with this chain's genesis.
rpc_ready() {
  curl -sf -m 3 -H 'Content-Type: application/json' \
    -d '{"id":1,"jsonrpc":"2.0","method":"chain_getBlockHash","params":[0]}' \
    "http://127.0.0.1:$CHOPSTICKS_PORT" | grep -q '"result":"0x'
}

chain_start() {
  # A chain still running a runtime that has since been rebuilt would serve the old code
  # (and the client would talk to the wrong pallet): restart it on the new genesis.
  if live_pid "$CHAIN_PID" >/dev/null && [ -s "$CMU_CHAIN_SPEC" ] \
    && [ "$(cat "$CHAIN_SPEC_STAMP" 2>/dev/null)" != "$(sha256sum "$CMU_CHAIN_SPEC" | cut -d' ' -f1)" ]; then
    log "the runtime was rebuilt since this dev chain started: restarting it on the new chain spec"
    chain_stop_quiet
  fi
  if live_pid "$CHAIN_PID" >/dev/null; then
    rpc_ready && { log "dev chain already running on ws://127.0.0.1:$CHOPSTICKS_PORT"; return 0; }
    wait_for "$START_TIMEOUT" rpc_ready \
      || die "the dev chain (pid $(live_pid "$CHAIN_PID")) does not answer; log: $CHAIN_LOG"
    return 0
  fi
  [ -x "$CHOPSTICKS" ] || die "chopsticks is not installed; run scripts/setup.sh"
  [ -s "$CMU_CHAIN_SPEC" ] || die "no chain spec at $CMU_CHAIN_SPEC; run scripts/build-runtime.sh"
  port_open "$CHOPSTICKS_PORT" && die "port $CHOPSTICKS_PORT is used by another process; stop it or set CMU_CHAIN_PORT"

  mkdir -p "$CHAIN_DIR"
  local spec_hash resume=""
  spec_hash="$(sha256sum "$CMU_CHAIN_SPEC" | cut -d' ' -f1)"
  if [ -f "$CHAIN_DB" ]; then
    if [ "$(cat "$CHAIN_SPEC_STAMP" 2>/dev/null)" = "$spec_hash" ]; then
      resume="resume: true"
    else
      # A new runtime build means a new genesis: the old blocks cannot continue it.
      log "the chain spec changed since the database was created: starting from genesis (old database kept as $CHAIN_DB.old)"
      mv -f "$CHAIN_DB" "$CHAIN_DB.old"
    fi
  fi
  echo "$spec_hash" > "$CHAIN_SPEC_STAMP"
  # `--resume true` on the command line is a string that chopsticks' schema rejects; in a
  # config file it is a boolean. So this run's config is the repo's plus that line.
  local run_config="$CHAIN_DIR/chopsticks.run.yml"
  { cat "$CHAIN_CONFIG"; [ -z "$resume" ] || printf '%s\n' "$resume"; } > "$run_config"

  log "starting the dev chain on ws://127.0.0.1:$CHOPSTICKS_PORT (log: $CHAIN_LOG)"
  printf '\n=== %s chain start %s\n' "$(date -Is)" "${resume:-(from genesis)}" >> "$CHAIN_LOG"
  setsid "$CHOPSTICKS" --config "$run_config" --genesis "$CMU_CHAIN_SPEC" --db "$CHAIN_DB" \
    --port "$CHOPSTICKS_PORT" >> "$CHAIN_LOG" 2>&1 < /dev/null &
  echo $! > "$CHAIN_PID"
  echo "$CHOPSTICKS_PORT" > "$CHAIN_PORT_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  until rpc_ready; do
    if ! live_pid "$CHAIN_PID" >/dev/null; then
      rm -f "$CHAIN_PID"
      tail -n 20 "$CHAIN_LOG" >&2
      die "the dev chain exited during start; log: $CHAIN_LOG"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      chain_stop_quiet
      die "the dev chain did not answer within ${START_TIMEOUT}s; log: $CHAIN_LOG"
    fi
    sleep 0.5
  done
  if [ -n "$resume" ]; then
    "$CMU_VENV/bin/python" "$CMU_ROOT/scripts/align_genesis_hash.py" "ws://127.0.0.1:$CHOPSTICKS_PORT" >> "$CHAIN_LOG" 2>&1 \
      || { chain_stop_quiet; die "could not align the resumed chain's genesis hash; log: $CHAIN_LOG"; }
  else
    # chopsticks rebuilds #1 on every start and a resume overwrites the stored #1 with it:
    # #1 must be its own empty block, never the block of a user's first extrinsic.
    python3 "$CMU_ROOT/scripts/ensure_first_block.py" "http://127.0.0.1:$CHOPSTICKS_PORT" >> "$CHAIN_LOG" 2>&1 \
      || { chain_stop_quiet; die "the dev chain could not build its first block; log: $CHAIN_LOG"; }
  fi
  log "dev chain ready: ws://127.0.0.1:$CHOPSTICKS_PORT"
}

chain_stop_quiet() {
  # chopsticks tells clients about a block before it writes the block to its database, and
  # TERM ends it without finishing that write: wait until the head is in the database first,
  # or a block a client has already seen (and the nonces it used) is gone after a resume.
  if live_pid "$CHAIN_PID" >/dev/null && [ -f "$CHAIN_DB" ]; then
    # The port it was started on, whatever CMU_CHAIN_PORT says now.
    local port
    port="$(cat "$CHAIN_PORT_FILE" 2>/dev/null || echo "$CHOPSTICKS_PORT")"
    python3 "$CMU_ROOT/scripts/wait_chain_flushed.py" "http://127.0.0.1:$port" "$CHAIN_DB" 30 \
      || log "warning: the dev chain's newest block may not be saved (see above); stopping anyway"
  fi
  stop_pidfile "$CHAIN_PID" 15
}

chain_stop() {
  if live_pid "$CHAIN_PID" >/dev/null; then
    chain_stop_quiet
    log "dev chain stopped (state kept in $CHAIN_DB)"
  else
    rm -f "$CHAIN_PID"
    log "dev chain is not running"
  fi
}

chain_status() {
  local pid
  if pid="$(live_pid "$CHAIN_PID")" && rpc_ready; then
    echo "dev chain: running (pid $pid) on ws://127.0.0.1:$CHOPSTICKS_PORT; db $CHAIN_DB; log $CHAIN_LOG"
  elif [ -n "${pid:-}" ]; then
    echo "dev chain: process $pid alive but RPC not answering; log $CHAIN_LOG"
    return 1
  else
    echo "dev chain: stopped"
    return 3
  fi
}

chain_reset() {
  chain_stop_quiet
  rm -rf "$CHAIN_DIR"
  log "dev chain reset: the next start begins at genesis"
}

case "${1:-}" in
  start) chain_start ;;
  stop) chain_stop ;;
  status) chain_status ;;
  reset) chain_reset ;;
  logs) touch "$CHAIN_LOG"; exec tail -n 50 -f "$CHAIN_LOG" ;;
  *) echo "usage: $0 {start|stop|status|reset|logs}" >&2; exit 2 ;;
esac
