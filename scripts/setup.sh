#!/usr/bin/env bash
# Installs everything CMU needs that is missing; reuses what is already there.
#   apt:     Debian's rustc-web toolchain (Rust 1.96 + std sources + rust-lld + clippy)
#            and build tools
#   sysroot: a wasm32v1-none sysroot built from those std sources (no rustup target here)
#   python:  the Python venv at ~/.cache/cmu/venv with cmu_client/offchain installed editable
#            (extras dev and dask: the tests train on a Dask LocalCluster)
#   node:    chopsticks and @polkadot/api, pinned by package-lock.json
#   kubo:    Kubo, built from the Go module proxy (scripts/build-kubo.sh)
# Usage: scripts/setup.sh [STEP ...]     (default: every step; --no-kubo skips kubo)
source "$(dirname "$0")/common.sh"

# Serialises concurrent setups (two engineers, or CI and a developer) on one machine.
exec 8>"$CMU_CACHE/.setup.lock"
flock 8

step_apt() {
  local apt_packages=(rustc-web cargo-web rust-web-src rust-web-llvm rust-web-clippy lld-22
    clang libclang-dev protobuf-compiler python3-venv make g++
    tmux)  # tmux: the monitor's tests drive it in a real terminal
  local missing=() p
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt: installing ${missing[*]} (log: $CMU_BUILD_LOGS/apt.log)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"; } \
      >>"$CMU_BUILD_LOGS/apt.log" 2>&1 || die "apt-get failed; see $CMU_BUILD_LOGS/apt.log"
  fi
  command -v node >/dev/null || die "Node.js >= 20 is required (for chopsticks); install nodejs"
  command -v go >/dev/null || die "Go >= 1.26.5 is required (to build Kubo); install it"
}

# core/alloc/compiler_builtins for wasm32v1-none, built with Debian's rustc from its own
# vendored std sources (rebuilt whenever rustc changes).
step_sysroot() {
  local sysroot rustc_id stamp dest src work
  sysroot="$(/usr/bin/rustc --print sysroot)"
  rustc_id="$(/usr/bin/rustc -V)"
  dest="$sysroot/lib/rustlib/wasm32v1-none/lib"
  stamp="$dest/.cmu-stamp"
  [ "$(cat "$stamp" 2>/dev/null)" = "$rustc_id" ] && return 0
  log "building the wasm32v1-none sysroot for $rustc_id (~20 s)"
  src="$sysroot/lib/rustlib/src/rust/library"
  [ -d "$src/vendor" ] || die "std sources missing at $src; install rust-web-src"
  work="$(mktemp -d)"
  mkdir -p "$work/src"
  printf '[package]\nname = "cmu_wasm_sysroot"\nversion = "0.0.0"\nedition = "2021"\n[workspace]\n' > "$work/Cargo.toml"
  echo '#![no_std]' > "$work/src/lib.rs"
  # RUSTC_BOOTSTRAP only for this one command (-Zbuild-std); embed-bitcode so that the
  # runtime's LTO build can use these rlibs.
  ( cd "$work" && env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_TARGET_DIR RUSTC_BOOTSTRAP=1 \
      RUSTFLAGS="-C embed-bitcode=yes" PATH="/usr/bin:$PATH" \
      cargo --config 'source.crates-io.replace-with="stdvendor"' \
            --config "source.stdvendor.directory=\"$src/vendor\"" \
      build -q --offline --release --target wasm32v1-none -Zbuild-std=core,alloc ) \
      >"$CMU_BUILD_LOGS/sysroot.log" 2>&1 || { rm -rf "$work"; die "sysroot build failed; see $CMU_BUILD_LOGS/sysroot.log"; }
  mkdir -p "$dest"
  rm -f "$dest"/lib{core,alloc,compiler_builtins}-*.rlib
  cp "$work/target/wasm32v1-none/release/deps/"lib{core,alloc,compiler_builtins}-*.rlib "$dest/"
  rm -rf "$work"
  echo "$rustc_id" > "$stamp"
}

# Python venv (outside the clone) with the project installed editable.
step_python() {
  if [ ! -x "$CMU_VENV/bin/python" ]; then
    log "pip: creating $CMU_VENV"
    python3 -m venv "$CMU_VENV"
  fi
  local req_hash
  req_hash="$(sha256sum "$CMU_ROOT/pyproject.toml" | cut -c1-16)"
  if [ "$(cat "$CMU_VENV/.cmu-stamp" 2>/dev/null)" != "$req_hash:$CMU_ROOT" ]; then
    log "pip: installing the project and its dependencies (log: $CMU_BUILD_LOGS/pip.log)"
    { "$CMU_VENV/bin/pip" install -q --upgrade pip && "$CMU_VENV/bin/pip" install -q -e "$CMU_ROOT[dev,dask]"; } \
      >>"$CMU_BUILD_LOGS/pip.log" 2>&1 || die "pip install failed; see $CMU_BUILD_LOGS/pip.log"
    echo "$req_hash:$CMU_ROOT" > "$CMU_VENV/.cmu-stamp"
  fi
}

# npm packages, keyed by the lock file so that a fresh clone reuses them. sqlite3 (the
# chopsticks database) compiles its native addon in an install script (no prebuilt binary
# can be downloaded here; it uses the local Node headers); package.json's allowScripts
# approves exactly that script, and the binding is checked after the install.
step_node() {
  local lock_hash node_dir
  lock_hash="$(cat "$CMU_ROOT/package.json" "$CMU_ROOT/package-lock.json" | sha256sum | cut -c1-16)"
  node_dir="$CMU_CACHE/node/$lock_hash"
  if [ ! -f "$node_dir/.done" ]; then
    log "npm: installing chopsticks and @polkadot/api (cold: ~3 min, compiles sqlite3; log: $CMU_BUILD_LOGS/npm.log)"
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    cp "$CMU_ROOT/package.json" "$CMU_ROOT/package-lock.json" "$node_dir/"
    ( cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error ) >>"$CMU_BUILD_LOGS/npm.log" 2>&1 \
      || die "npm ci failed; see $CMU_BUILD_LOGS/npm.log"
    ( cd "$node_dir" && node -e "new (require('sqlite3').Database)(':memory:').close()" ) \
      || die "the sqlite3 native addon did not build (chopsticks needs it); see $CMU_BUILD_LOGS/npm.log"
    touch "$node_dir/.done"
  fi
  ln -sfn "$node_dir/node_modules" "$CMU_NODE_MODULES"
}

step_kubo() {
  bash "$CMU_ROOT/scripts/build-kubo.sh" >/dev/null
}

steps=()
skip_kubo=0
for arg in "$@"; do
  case "$arg" in
    --no-kubo) skip_kubo=1 ;;
    apt|sysroot|python|node|kubo) steps+=("$arg") ;;
    *) die "unknown step '$arg' (steps: apt sysroot python node kubo; option: --no-kubo)" ;;
  esac
done
if [ ${#steps[@]} -eq 0 ]; then
  steps=(apt sysroot python node)
  [ "$skip_kubo" -eq 1 ] || steps+=(kubo)
fi
for s in "${steps[@]}"; do "step_$s"; done
log "setup complete: ${steps[*]}"
