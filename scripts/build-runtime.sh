#!/usr/bin/env bash
# Builds the CMU runtime wasm from source and the raw dev chain spec that runs it.
#   ~/.cache/cmu/runtime/cmu_runtime.compact.compressed.wasm   the runtime
#   ~/.cache/cmu/runtime/cmu-dev-raw.json                      raw spec, `development` preset
#   ~/.cache/cmu/runtime/cmu-local-testnet-raw.json            raw spec, `local_testnet` preset
#   ~/.cache/cmu/runtime/cmu_runtime_upgrade.compact.compressed.wasm
#       the same runtime as spec_version + 1 (feature `upgrade-test`), for the runtime
#       upgrade test; built in its own target dir (~/.cache/cmu/target-upgrade-wasm) so the
#       two never overwrite each other's wasm (cold: as long as the first build; then warm)
# `scripts/build-runtime.sh main` skips the upgrade runtime (the demo does not need it).
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
"$CARGO_TARGET_DIR/debug/cmu-chain-spec" --preset local_testnet --chain-type Local \
  --name "CMU Local Testnet" --id cmu_local_testnet --relay-chain rococo-local \
  --wasm "$CMU_RUNTIME_WASM" --out "$CMU_LOCAL_TESTNET_SPEC"
log "local testnet chain spec: $CMU_LOCAL_TESTNET_SPEC"
log "runtime build took $((SECONDS - start)) s"

[ "${1:-all}" = "main" ] && exit 0

# Only the wasm is needed: `cargo check` runs the build script (the nested wasm build) but
# only checks the native side. The wasm builder forwards `upgrade-test` to the wasm.
start=$SECONDS
upgrade_target="${CMU_UPGRADE_TARGET:-$CMU_CACHE/target-upgrade-wasm}"
# First build: start the nested wasm build from the main build's (same dependencies, same
# profile), so that only cmu-runtime itself is compiled again for wasm; a cold wasm build of
# every dependency would add tens of minutes to a fresh machine's first test run.
if [ ! -d "$upgrade_target/debug/wbuild" ] && [ -d "$CARGO_TARGET_DIR/debug/wbuild" ]; then
  mkdir -p "$upgrade_target/debug"
  cp -a "$CARGO_TARGET_DIR/debug/wbuild" "$upgrade_target/debug/wbuild.tmp"
  mv "$upgrade_target/debug/wbuild.tmp" "$upgrade_target/debug/wbuild"
  log "upgrade-test target seeded with the main build's wasm dependencies"
fi
log "building the upgrade-test runtime (spec_version + 1) in $upgrade_target"
CARGO_TARGET_DIR="$upgrade_target" cargo check --locked -p cmu-runtime --features upgrade-test
upgrade_built="$upgrade_target/debug/wbuild/cmu-runtime/cmu_runtime.compact.compressed.wasm"
[ -s "$upgrade_built" ] || die "cargo finished but $upgrade_built is missing"
cmp -s "$upgrade_built" "$CMU_RUNTIME_WASM" && die "the upgrade runtime is identical to the main one"
if ! cmp -s "$upgrade_built" "$CMU_RUNTIME_UPGRADE_WASM"; then
  cp "$upgrade_built" "$CMU_RUNTIME_UPGRADE_WASM.tmp"
  mv "$CMU_RUNTIME_UPGRADE_WASM.tmp" "$CMU_RUNTIME_UPGRADE_WASM"
  log "upgrade runtime updated: $CMU_RUNTIME_UPGRADE_WASM"
fi
log "upgrade runtime build took $((SECONDS - start)) s"
