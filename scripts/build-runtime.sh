#!/usr/bin/env bash
# Builds the CMU runtime wasm from source and the raw dev chain spec that runs it.
#   ~/.cache/cmu/runtime/cmu_runtime.compact.compressed.wasm   the runtime
#   ~/.cache/cmu/runtime/cmu-dev-raw.json                      raw spec, `development` preset
# Idempotent: installs the Debian toolchain and the wasm sysroot if missing, then lets cargo
# decide what to rebuild (cold: see README for times; warm without changes: seconds).
# Cold builds take long on 2 cores: run it with a log, e.g.
#   scripts/build-runtime.sh > ~/.cache/cmu/logs/build-runtime.log 2>&1 &
source "$(dirname "$0")/common.sh"

bash "$CMU_ROOT/scripts/setup.sh" apt sysroot
use_debian_rust

# One build at a time: the runtime's build script and cargo's own lock would serialise
# anyway, but two runs would also race on the copies below.
exec 7>"$CMU_CACHE/.build-runtime.lock"
flock 7

start=$SECONDS
log "building cmu-runtime (native chain spec tool + wasm) with $(rustc -V)"
# The dev profile for the native tool shares its artifacts with `cargo test -p cmu-runtime`;
# substrate-wasm-builder builds the wasm itself with the release profile.
cargo build --locked -p cmu-runtime --bin cmu-chain-spec
built_wasm="$CARGO_TARGET_DIR/debug/wbuild/cmu-runtime/cmu_runtime.compact.compressed.wasm"
[ -s "$built_wasm" ] || die "cargo finished but $built_wasm is missing (was SKIP_WASM_BUILD set?)"

mkdir -p "$CMU_RUNTIME_DIR"
if ! cmp -s "$built_wasm" "$CMU_RUNTIME_WASM"; then
  cp "$built_wasm" "$CMU_RUNTIME_WASM.tmp"
  mv "$CMU_RUNTIME_WASM.tmp" "$CMU_RUNTIME_WASM"
  log "runtime wasm updated: $CMU_RUNTIME_WASM ($(stat -c %s "$CMU_RUNTIME_WASM") bytes)"
fi
"$CARGO_TARGET_DIR/debug/cmu-chain-spec" --preset development --wasm "$CMU_RUNTIME_WASM" \
  --out "$CMU_CHAIN_SPEC"
log "chain spec: $CMU_CHAIN_SPEC"
log "runtime build took $((SECONDS - start)) s"
