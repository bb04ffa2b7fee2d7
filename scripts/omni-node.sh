#!/usr/bin/env bash
# polkadot-omni-node for the CMU parachain runtime: the production node, run for real.
#   scripts/omni-node.sh build     build and install polkadot-omni-node once (cold: hours)
#   scripts/omni-node.sh start     start the runtime as a single dev node (--dev-block-time)
#   scripts/omni-node.sh stop      stop that node
#   scripts/omni-node.sh status    say whether the binary exists and the node runs
# Environment: CMU_OMNI_PORT (9955), CMU_OMNI_BLOCK_TIME_MS (1000), CMU_OMNI_CHAIN (the node's
# directory, default ~/.cache/cmu/omni-node/chain).
#
# polkadot-omni-node 0.24.0 is the release of polkadot-sdk stable2609 (its Cargo.lock pins
# sc-service 0.62 and frame-benchmarking-cli 64, the same as polkadot-sdk 2609.2.0 that
# Cargo.toml pins). It builds in the bencher's target directory (scripts/bench-weights.sh):
# both come from the same release, so most of the ~1,400 crates are compiled once for both.
# Caches, all outside the clone:
#   ~/.cache/cmu/omni-node/bin/polkadot-omni-node    the installed binary
#   ~/.cache/cmu/target-bencher                       its build directory (shared)
#   ~/.cache/cmu/omni-node/chain                      the dev node's spec, database and log
# The build is niced and logs to ~/.cache/cmu/logs/omni-node-build-<time>.log; the figure
# measured on the build machine is in the README ("Deployment").
source "$(dirname "$0")/common.sh"
use_debian_rust
cd "$CMU_ROOT"

OMNI_NODE_VERSION="0.24.0"
OMNI_ROOT="$CMU_CACHE/omni-node"
OMNI_NODE="$OMNI_ROOT/bin/polkadot-omni-node"
OMNI_TARGET="$CMU_CACHE/target-bencher"
OMNI_CHAIN="${CMU_OMNI_CHAIN:-$OMNI_ROOT/chain}"
OMNI_PORT="${CMU_OMNI_PORT:-9955}"
OMNI_BLOCK_TIME_MS="${CMU_OMNI_BLOCK_TIME_MS:-1000}"
OMNI_PID="$OMNI_CHAIN/node.pid"
mkdir -p "$OMNI_ROOT" "$OMNI_CHAIN"

omni_installed() {
  [ -x "$OMNI_NODE" ] && "$OMNI_NODE" --version 2>/dev/null | grep -q .
}

build() {
  if omni_installed; then
    log "polkadot-omni-node already installed: $OMNI_NODE ($("$OMNI_NODE" --version))"
    return 0
  fi
  local logfile registry_src start=$SECONDS rc=0
  logfile="$CMU_BUILD_LOGS/omni-node-build-$(date +%Y%m%d-%H%M%S)-$$.log"
  # Test runtimes inside the node's dependencies run substrate-wasm-builder, which must see
  # the node's own Cargo.lock rather than this workspace's (see scripts/bench-weights.sh).
  registry_src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/index.crates.io-* 2>/dev/null | head -n 1)"
  registry_src="${registry_src:-${CARGO_HOME:-$HOME/.cargo}/registry/src/index.crates.io-1949cf8c6b5b557f}"
  log "building polkadot-omni-node $OMNI_NODE_VERSION (log: $logfile; target $OMNI_TARGET)"
  CARGO_TARGET_DIR="$OMNI_TARGET" \
    WASM_BUILD_WORKSPACE_HINT="$registry_src/polkadot-omni-node-$OMNI_NODE_VERSION" \
    nice -n 15 cargo install --locked --root "$OMNI_ROOT" \
    "polkadot-omni-node@$OMNI_NODE_VERSION" >"$logfile" 2>&1 || rc=$?
  log "omni-node build took $((SECONDS - start)) s (exit $rc); log $logfile"
  [ "$rc" -eq 0 ] || die "polkadot-omni-node build failed: see $logfile"
  "$OMNI_NODE" --version
}

start() {
  omni_installed || die "no polkadot-omni-node at $OMNI_NODE: run scripts/omni-node.sh build"
  if live_pid "$OMNI_PID" >/dev/null; then
    log "omni-node already running on ws://127.0.0.1:$OMNI_PORT"
    return 0
  fi
  # The same raw development spec chopsticks runs (para id 1000, relay chain rococo-local);
  # with --dev-block-time omni-node needs no relay chain and seals blocks itself.
  bash "$CMU_ROOT/scripts/build-runtime.sh" main >&2
  local spec="$CMU_CHAIN_SPEC"
  rm -rf "$OMNI_CHAIN/db"
  log "starting polkadot-omni-node on ws://127.0.0.1:$OMNI_PORT (block time $OMNI_BLOCK_TIME_MS ms)"
  "$OMNI_NODE" --chain "$spec" --dev --dev-block-time "$OMNI_BLOCK_TIME_MS" \
    --base-path "$OMNI_CHAIN/db" --rpc-port "$OMNI_PORT" --no-prometheus \
    --no-telemetry --no-mdns --listen-addr /ip4/127.0.0.1/tcp/0 \
    >"$OMNI_CHAIN/node.log" 2>&1 &
  echo $! >"$OMNI_PID"
  wait_for 120 port_open "$OMNI_PORT" || {
    tail -n 30 "$OMNI_CHAIN/node.log" >&2
    die "omni-node did not open port $OMNI_PORT within 120 s (log $OMNI_CHAIN/node.log)"
  }
  log "omni-node up (log $OMNI_CHAIN/node.log)"
}

stop() { stop_pidfile "$OMNI_PID" 20; log "omni-node stopped"; }

status() {
  if omni_installed; then echo "binary: $OMNI_NODE ($("$OMNI_NODE" --version))"; else echo "binary: absent ($OMNI_NODE)"; fi
  if pid="$(live_pid "$OMNI_PID")"; then echo "node: running (pid $pid, ws://127.0.0.1:$OMNI_PORT)"; else echo "node: stopped"; fi
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 build|start|stop|status" ;;
esac
