#!/usr/bin/env bash
# Generates pallet/src/weights.rs by running pallet-cmu's benchmarks in the CMU runtime with
# frame-omni-bencher (the polkadot-sdk stable2609 release of it).
#   scripts/bench-weights.sh            install the bencher if missing, build the wasm, run
#   scripts/bench-weights.sh install    only build and install the bencher
#   scripts/bench-weights.sh wasm       only build the runtime wasm with runtime-benchmarks
#   scripts/bench-weights.sh run        only run the benchmarks (bencher and wasm must exist)
# Environment: BENCH_STEPS (50), BENCH_REPEAT (20), BENCH_OUTPUT (pallet/src/weights.rs).
#
# Each part has its own cache, so that this never rebuilds or replaces what the other scripts
# use (~/.cache/cmu/target, ~/.cache/cmu/runtime):
#   ~/.cache/cmu/bencher               the installed bencher (bin/frame-omni-bencher)
#   ~/.cache/cmu/target-bencher        its build directory
#   ~/.cache/cmu/target-bench-wasm     the runtime built with the benchmarks compiled in
# Logs: ~/.cache/cmu/logs/bench-weights-<time>.log. Builds run under `nice -n 10`.
#
# frame-omni-bencher 0.28.0 is the release built on frame-benchmarking-cli 64.0.0, the
# version that polkadot-sdk 2609.2.0 (the umbrella crate pinned in Cargo.toml) depends on.
# Its cold build compiles 977 crates, RocksDB and wasmtime included: 1 h 53 min on the 2-core
# build machine under load (niced); the wasm 51 min cold; the run 3.5 min (docs/pallet.md).
source "$(dirname "$0")/common.sh"
use_debian_rust
cd "$CMU_ROOT"

OMNI_BENCHER_VERSION="0.28.0"
BENCHER_ROOT="$CMU_CACHE/bencher"
BENCHER="$BENCHER_ROOT/bin/frame-omni-bencher"
BENCHER_TARGET="$CMU_CACHE/target-bencher"
BENCH_WASM_TARGET="$CMU_CACHE/target-bench-wasm"
BENCH_WASM="$BENCH_WASM_TARGET/debug/wbuild/cmu-runtime/cmu_runtime.compact.compressed.wasm"
TEMPLATE="$CMU_ROOT/pallet/weight-template.hbs"
BENCH_STEPS="${BENCH_STEPS:-50}"
BENCH_REPEAT="${BENCH_REPEAT:-20}"
BENCH_OUTPUT="${BENCH_OUTPUT:-$CMU_ROOT/pallet/src/weights.rs}"

LOG="$CMU_BUILD_LOGS/bench-weights-$(date +%Y%m%d-%H%M%S)-$$.log"
exec > >(tee -a "$LOG") 2>&1
log "log: $LOG"

# Runs "$@" and logs how long it took.
timed() {
  local start=$SECONDS rc=0
  "$@" || rc=$?
  log "took $((SECONDS - start)) s (exit $rc): $*"
  return "$rc"
}

install_bencher() {
  if [ -x "$BENCHER" ] && "$BENCHER" --version 2>/dev/null | grep -qF " $OMNI_BENCHER_VERSION"; then
    log "frame-omni-bencher $OMNI_BENCHER_VERSION already installed: $BENCHER"
    return 0
  fi
  # frame-benchmarking-cli embeds a small test runtime (frame-storage-access-test-runtime)
  # whose build script runs substrate-wasm-builder. That must see the bencher's own
  # Cargo.lock, not this workspace's (use_debian_rust points WASM_BUILD_WORKSPACE_HINT here,
  # and with it the test runtime's build fails: "Failed to find entry for package
  # frame-storage-access-test-runtime"): point the hint at the source cargo unpacks the
  # bencher into, before its build scripts run.
  local registry_src
  registry_src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/index.crates.io-* 2>/dev/null | head -n 1)"
  registry_src="${registry_src:-${CARGO_HOME:-$HOME/.cargo}/registry/src/index.crates.io-1949cf8c6b5b557f}"
  log "building frame-omni-bencher $OMNI_BENCHER_VERSION (cold: long; target $BENCHER_TARGET)"
  CARGO_TARGET_DIR="$BENCHER_TARGET" \
    WASM_BUILD_WORKSPACE_HINT="$registry_src/frame-omni-bencher-$OMNI_BENCHER_VERSION" \
    timed nice -n 10 \
    cargo install --locked --root "$BENCHER_ROOT" "frame-omni-bencher@$OMNI_BENCHER_VERSION"
  "$BENCHER" --version
}

# Only the wasm is needed, and cmu-runtime's build script (substrate-wasm-builder) builds it
# in a nested cargo build even under `cargo check`; checking the native side instead of
# compiling it saves most of the native work. The wasm-builder forwards the runtime-benchmarks
# feature to the nested build, so the wasm carries the `Benchmark` runtime API.
# WASM_BUILD_TYPE=release (use_debian_rust): the wasm is optimised.
build_wasm() {
  log "building the runtime wasm with runtime-benchmarks (target $BENCH_WASM_TARGET)"
  CARGO_TARGET_DIR="$BENCH_WASM_TARGET" timed nice -n 10 \
    cargo check --locked -p cmu-runtime --features runtime-benchmarks
  [ -f "$BENCH_WASM" ] || die "no wasm at $BENCH_WASM"
  ls -l "$BENCH_WASM"
}

run_bencher() {
  [ -x "$BENCHER" ] || die "no bencher at $BENCHER: run scripts/bench-weights.sh install"
  [ -f "$BENCH_WASM" ] || die "no wasm at $BENCH_WASM: run scripts/bench-weights.sh wasm"
  # The benchmarks set up their own state; the development preset gives a genesis with the
  # dev accounts endowed, as on the dev chain.
  # The raw results are kept beside the log: `--json-input <that file> --template ...
  # --output ...` renders weights.rs again without re-running the benchmarks.
  log "running pallet_cmu benchmarks: steps $BENCH_STEPS, repeat $BENCH_REPEAT"
  timed nice -n 10 "$BENCHER" v1 benchmark pallet \
    --json-file "${LOG%.log}.json" \
    --runtime "$BENCH_WASM" \
    --genesis-builder-preset development \
    --pallet pallet_cmu --extrinsic '*' \
    --steps "$BENCH_STEPS" --repeat "$BENCH_REPEAT" \
    --template "$TEMPLATE" \
    --output "$BENCH_OUTPUT"
  log "wrote $BENCH_OUTPUT"
}

case "${1:-all}" in
  install) install_bencher ;;
  wasm) build_wasm ;;
  run) run_bencher ;;
  all) install_bencher; build_wasm; run_bencher ;;
  *) die "usage: $0 [install|wasm|run|all]" ;;
esac
