# Shared environment for CMU scripts: every cache lives outside the clone so
# that a fresh clone (CI) reuses what an earlier run built.
# shellcheck shell=bash
set -euo pipefail
CMU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CMU_CACHE="${CMU_CACHE:-$HOME/.cache/cmu}"
CMU_RUN="${CMU_RUN:-$CMU_CACHE/run}"          # pids, logs, databases of the dev network
CMU_LOGS="$CMU_RUN/logs"
CMU_BUILD_LOGS="$CMU_CACHE/logs"              # logs of installs and builds
CMU_BIN="$CMU_CACHE/bin"
CMU_VENV="${CMU_VENV:-$CMU_CACHE/venv}"          # another venv: e.g. to test a second checkout
KUBO_VERSION="v0.43.1"
KUBO_BIN="$CMU_BIN/ipfs-$KUBO_VERSION"
CHOPSTICKS_PORT="${CMU_CHAIN_PORT:-9944}"
IPFS_API_PORT="${CMU_IPFS_API_PORT:-5001}"
IPFS_GATEWAY_PORT="${CMU_IPFS_GATEWAY_PORT:-8080}"
# The runtime wasm and the raw chain spec built from it (scripts/build-runtime.sh).
CMU_RUNTIME_DIR="${CMU_RUNTIME_DIR:-$CMU_CACHE/runtime}"
CMU_RUNTIME_WASM="$CMU_RUNTIME_DIR/cmu_runtime.compact.compressed.wasm"
CMU_CHAIN_SPEC="${CMU_CHAIN_SPEC:-$CMU_RUNTIME_DIR/cmu-dev-raw.json}"  # what chain.sh runs
# The two-collator preset without sudo, as a raw spec for a local relay chain.
CMU_LOCAL_TESTNET_SPEC="$CMU_RUNTIME_DIR/cmu-local-testnet-raw.json"
# The same runtime as spec_version + 1: what tests/test_runtime_upgrade.py installs.
CMU_RUNTIME_UPGRADE_WASM="$CMU_RUNTIME_DIR/cmu_runtime_upgrade.compact.compressed.wasm"
CMU_NODE_MODULES="$CMU_CACHE/node_modules"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CMU_CACHE/target}"
export GOMODCACHE="$CMU_CACHE/go/mod" GOCACHE="$CMU_CACHE/go/build" GOTOOLCHAIN=local
export npm_config_cache="$CMU_CACHE/npm"
export PIP_CACHE_DIR="$CMU_CACHE/pip"
mkdir -p "$CMU_CACHE" "$CMU_BIN" "$CMU_LOGS" "$CMU_BUILD_LOGS"

log() { printf '\033[1;34m[cmu]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[cmu] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Waits until "$@" succeeds or the timeout (seconds) passes.
wait_for() {
  local timeout="$1"; shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.5
  done
}

# Puts Debian's Rust (rustc-web, 1.96, with the self-built wasm32v1-none sysroot) first in
# PATH. substrate-wasm-builder drops RUSTC for its nested build, so with rustup's proxies
# first the nested build would silently use rustup's toolchain, which has no wasm target.
# Rust >= 1.96 no longer passes --allow-undefined to wasm-ld; host functions are imports.
# The target dir lives outside the clone, so substrate-wasm-builder cannot find the
# workspace's Cargo.lock by walking up from it: the hint makes the wasm build use the
# pinned versions instead of resolving the newest ones.
# WASM_BUILD_TYPE=release: the wasm is always built optimised, and also compacted and
# compressed although the native side (chain spec tool, tests) uses the dev profile.
# Every cargo call must use the same environment, or cargo re-runs the wasm build.
use_debian_rust() {
  export WASM_BUILD_TYPE=release
  export PATH="/usr/bin:$PATH"
  export WASM_BUILD_RUSTFLAGS="-C link-arg=--import-undefined"
  export WASM_BUILD_WORKSPACE_HINT="$CMU_ROOT"
  unset RUSTC RUSTC_BOOTSTRAP RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
}

# Whether a TCP port on 127.0.0.1 accepts connections.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Reads a pid file and prints the pid if that process is alive.
live_pid() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Stops the process in pid file $1 (TERM, then KILL after $2 seconds) and removes the file.
stop_pidfile() {
  local pidfile="$1" grace="${2:-10}" pid
  if pid="$(live_pid "$pidfile")"; then
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
      sleep 0.2
    done
  fi
  rm -f "$pidfile"
}
