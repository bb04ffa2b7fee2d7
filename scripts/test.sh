#!/usr/bin/env bash
# Runs every CMU test: installs what is missing, builds the runtime wasm, runs the Rust
# tests and lints, starts a dev chain and Kubo, then runs the Python tests and the
# polkadot.js compatibility test against them. Prints a summary; exits non-zero if any
# step failed. A step that runs no test counts as failed.
#   scripts/test.sh [PYTEST_ARGS...]     e.g. scripts/test.sh -k smoke
# Logs: ~/.cache/cmu/logs/test-runs/<time>-<pid>/<step>.log (~/.cache/cmu/logs/test-latest).
#
# The tests get a network of their own: a chain from genesis and an empty Kubo on free
# ports, under ~/.cache/cmu/run-test/<pid>, stopped and removed at the end (its logs are
# kept with the run's logs when a step failed). So a run never sees state
# left by an earlier run, and never races a demo or another session on the dev network
# (tests use the well-known dev accounts). CMU_TEST_NETWORK=shared uses the regular dev
# network (scripts/chain.sh and scripts/ipfs.sh defaults) instead.
source "$(dirname "$0")/common.sh"
cd "$CMU_ROOT"

summary=()
failed=0
# Each run logs to its own directory (runs may overlap); the 10 newest are kept.
RUN_LOGS="$CMU_BUILD_LOGS/test-runs/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$RUN_LOGS"
ln -sfn "$RUN_LOGS" "$CMU_BUILD_LOGS/test-latest"
ls -1dt "$CMU_BUILD_LOGS"/test-runs/*/ 2>/dev/null | tail -n +11 | xargs -r rm -rf
pytest_args=("$@")

# Runs one step with its output in a log (and on screen); records the outcome.
step() {
  local name="$1"; shift
  local logfile="$RUN_LOGS/$name.log" start=$SECONDS rc=0
  log "── $name: $*"
  "$@" > >(tee "$logfile") 2>&1 || rc=$?
  local took=$((SECONDS - start))
  if [ "$rc" -eq 0 ]; then
    summary+=("$(printf '  %-22s ok      %5ss' "$name" "$took")")
  else
    summary+=("$(printf '  %-22s FAILED  %5ss  (exit %s, log %s)' "$name" "$took" "$rc" "$logfile")")
    failed=1
  fi
  return "$rc"
}

skip() {
  summary+=("$(printf '  %-22s skipped        %s' "$1" "$2")")
}

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
run_pytest() {
  local rc=0
  "$CMU_VENV/bin/python" -m pytest -p no:cacheprovider "$@" || rc=$?
  [ "$rc" -eq 5 ] && echo "pytest collected no tests: failing" >&2
  return "$rc"
}

run_node_tests() {
  local files
  files=$(find "$CMU_ROOT/tests/js" -name '*.test.cjs' -o -name '*.test.js' -o -name '*.test.mjs' | sort)
  [ -n "$files" ] || { echo "no node tests in tests/js: failing" >&2; return 1; }
  # shellcheck disable=SC2086
  NODE_PATH="$CMU_NODE_MODULES" node --test --test-reporter=spec $files
}

# Free TCP ports on 127.0.0.1, one per argument.
free_ports() {
  python3 - "$@" <<'PY'
import socket, sys
socks = []
for _ in sys.argv[1:]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

if [ "${CMU_TEST_NETWORK:-own}" != "shared" ]; then
  export CMU_RUN="$CMU_CACHE/run-test/$$"
  read -r CMU_CHAIN_PORT CMU_IPFS_API_PORT CMU_IPFS_GATEWAY_PORT < <(free_ports chain api gateway)
  export CMU_CHAIN_PORT CMU_IPFS_API_PORT CMU_IPFS_GATEWAY_PORT
  rm -rf "$CMU_RUN"
  stop_test_network() {
    local run_dir
    # the shared test network and each pytest worker's (normally stopped by the worker itself;
    # not when the run was interrupted)
    for run_dir in "$CMU_RUN" "$CMU_RUN"/workers/*; do
      [ -d "$run_dir" ] || continue
      CMU_RUN="$run_dir" bash scripts/chain.sh stop >/dev/null 2>&1 || true
      CMU_RUN="$run_dir" bash scripts/ipfs.sh stop >/dev/null 2>&1 || true
    done
    if [ "${failed:-1}" -ne 0 ] && [ -d "$CMU_RUN" ]; then
      # the shared network's logs and each test worker's (workers/gw*/logs)
      (cd "$CMU_RUN" && find . -type d -name logs | while read -r dir; do
        mkdir -p "$RUN_LOGS/network/$dir" && cp -r "$dir/." "$RUN_LOGS/network/$dir/"; done)
    fi
    rm -rf "$CMU_RUN"
  }
  trap stop_test_network EXIT
fi
export CMU_RPC_URL="ws://127.0.0.1:${CMU_CHAIN_PORT:-9944}"
export CMU_IPFS_API="/ip4/127.0.0.1/tcp/${CMU_IPFS_API_PORT:-5001}"

total_start=$SECONDS
step setup bash scripts/setup.sh || true
use_debian_rust
if step build-runtime bash scripts/build-runtime.sh; then runtime_ok=1; else runtime_ok=0; fi

# One native build of the workspace serves the unit tests, the benchmark tests and clippy:
# the tests run with `runtime-benchmarks` on (as polkadot-sdk's own CI does), so the
# benchmarks run as tests in the same build, and clippy lints the workspace crates as their
# compiler (clippy-driver as the workspace wrapper) instead of re-checking every dependency in
# a second, check-only pass. SKIP_WASM_BUILD: build-runtime built the wasm already; these
# steps need only the native crates (the runtime tests do not execute the wasm).
rust_build=(cargo test --locked --workspace --all-targets --features runtime-benchmarks)
lint_env=()
if clippy_driver="$(command -v clippy-driver)"; then
  # CLIPPY_ARGS is how cargo-clippy hands lint flags to clippy-driver.
  lint_env=(RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__")
  step clippy env "${lint_env[@]}" SKIP_WASM_BUILD=1 "${rust_build[@]}" --no-run || true
else
  skip clippy "(clippy-driver not installed: apt-get install rust-web-clippy)"
fi
# The same environment as the clippy step, so nothing is compiled again.
step cargo-test env "${lint_env[@]}" SKIP_WASM_BUILD=1 "${rust_build[@]}" || true
if cargo fmt --version >/dev/null 2>&1; then
  step rustfmt cargo fmt --all --check || true
else
  skip rustfmt "(rustfmt not installed)"
fi
python_dirs=(cmu_client offchain tests scripts benchmarks)
step ruff bash -c '"$1/bin/ruff" check "${@:2}" && "$1/bin/ruff" format --check "${@:2}"' _ \
  "$CMU_VENV" "${python_dirs[@]}" || true
step mypy "$CMU_VENV/bin/mypy" --strict || true
# The layers (offchain on cmu_client; the client's core below its CLI): pyproject.toml.
step import-layers "$CMU_VENV/bin/lint-imports" --no-cache || true

if [ "$runtime_ok" -eq 1 ] && step dev-network bash -c 'scripts/chain.sh start && scripts/ipfs.sh start'; then
  # Test files run on CMU_TEST_WORKERS pytest-xdist workers (default 3: most of a live test
  # is waiting for blocks, IPFS and subprocesses), each with a chain and Kubo of its own
  # (tests/conftest.py), so tests in parallel never share nonces or balances.
  [ "${CMU_TEST_NETWORK:-own}" = shared ] || export CMU_TEST_NETWORK_PER_WORKER="$CMU_RUN/workers"
  step pytest run_pytest -n "${CMU_TEST_WORKERS:-3}" --dist loadfile --durations=15 -rs \
    tests "${pytest_args[@]}" || true
  # tests/test_omni_node.py needs the production node, built only on request (hours cold):
  # say in the summary whether it ran, so a skip is never read as a pass.
  if [ -x "$CMU_CACHE/omni-node/bin/polkadot-omni-node" ]; then
    summary+=("$(printf '  %-22s ran     (in pytest: tests/test_omni_node.py)' omni-node-smoke)")
  else
    skip omni-node-smoke "NOT RUN: polkadot-omni-node is not built (scripts/omni-node.sh build)"
  fi
  step node-tests run_node_tests || true
else
  skip pytest "(dev network not running)"
  skip node-tests "(dev network not running)"
  failed=1
fi

echo
echo "CMU test summary ($((SECONDS - total_start)) s; network $CMU_RPC_URL, Kubo $CMU_IPFS_API):"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "RESULT: FAILED (logs: $RUN_LOGS)"
  exit 1
fi
echo "RESULT: all passed"
