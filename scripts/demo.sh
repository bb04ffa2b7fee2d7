#!/usr/bin/env bash
# The CMU demo: installs what is missing, builds the runtime, starts the local network
# (dev chain on ws://127.0.0.1:9944, Kubo API on 127.0.0.1:5001, gateway on 127.0.0.1:8080)
# and runs the CMU story (scripts/story.py) on it.
#   scripts/demo.sh [--network-only] [STORY_ARGS...]
# The network keeps running afterwards: scripts/chain.sh stop / scripts/ipfs.sh stop.
source "$(dirname "$0")/common.sh"
cd "$CMU_ROOT"

network_only=0
if [ "${1:-}" = "--network-only" ]; then network_only=1; shift; fi

bash scripts/setup.sh
if [ ! -s "$CMU_CHAIN_SPEC" ]; then
  log "first run: building the runtime wasm from source (cold: see README; log: $CMU_BUILD_LOGS/build-runtime.log)"
fi
bash scripts/build-runtime.sh main > "$CMU_BUILD_LOGS/build-runtime.log" 2>&1 \
  || die "the runtime build failed; see $CMU_BUILD_LOGS/build-runtime.log"
bash scripts/chain.sh start
bash scripts/ipfs.sh start

export CMU_RPC_URL="ws://127.0.0.1:$CHOPSTICKS_PORT"
export CMU_IPFS_API="/ip4/127.0.0.1/tcp/$IPFS_API_PORT"
cat <<INFO

  CMU local network is up
    dev chain      $CMU_RPC_URL   (polkadot.js: https://polkadot.js.org/apps/?rpc=$CMU_RPC_URL)
    IPFS API       http://127.0.0.1:$IPFS_API_PORT
    IPFS gateway   http://127.0.0.1:$IPFS_GATEWAY_PORT/ipfs/<cid>
    logs           $CMU_LOGS
    CLI            $CMU_VENV/bin/cmu --help

INFO
[ "$network_only" -eq 1 ] && exit 0
exec "$CMU_VENV/bin/python" scripts/story.py "$@"
