#!/usr/bin/env bash
# Failing-first evidence for issue 8: runs the attacks of pallet/holes_v1/old_pallet_holes.rs
# against the first pallet (the last commit before pallet-cmu v2) and reports, per hole,
# whether the attack worked there. Each test asserts the harmful outcome, so a test that
# PASSES on the old pallet means the hole existed.
#   scripts/holes-on-old-pallet.sh [COMMIT]        (default bc81133)
# The old commit is checked out in a temporary git worktree under /tmp (removed at the end);
# the build shares ~/.cache/cmu/target, so the dependencies are reused. The cargo run is
# niced. Logs: ~/.cache/cmu/logs/holes-on-old-pallet-<time>.log.
source "$(dirname "$0")/common.sh"
use_debian_rust
cd "$CMU_ROOT"

OLD_COMMIT="${1:-bc81133}"
TESTS="$CMU_ROOT/pallet/holes_v1/old_pallet_holes.rs"
LOG="$CMU_BUILD_LOGS/holes-on-old-pallet-$(date +%Y%m%d-%H%M%S)-$$.log"
WORKTREE="$(mktemp -d /tmp/cmu-old-pallet.XXXXXX)"

cleanup() {
  git -C "$CMU_ROOT" worktree remove --force "$WORKTREE" 2>/dev/null || rm -rf "$WORKTREE"
  git -C "$CMU_ROOT" worktree prune
}
trap cleanup EXIT

rmdir "$WORKTREE"
git worktree add --detach "$WORKTREE" "$OLD_COMMIT" >/dev/null
log "old pallet: $(git -C "$WORKTREE" log -1 --format='%h %s' "$OLD_COMMIT")"
cp "$TESTS" "$WORKTREE/pallet/src/old_pallet_holes.rs"
printf '\n#[cfg(test)]\nmod old_pallet_holes;\n' >>"$WORKTREE/pallet/src/lib.rs"

log "cargo test -p pallet-cmu old_pallet_holes (log: $LOG)"
rc=0
(cd "$WORKTREE" && SKIP_WASM_BUILD=1 nice -n 10 \
  cargo test --locked -p pallet-cmu old_pallet_holes -- --test-threads=1) >"$LOG" 2>&1 || rc=$?

# One line per test: "ok" means the attack succeeded on the old pallet.
printf '%-50s %s\n' "attack on the old pallet ($OLD_COMMIT)" "outcome"
found=0
while read -r name result; do
  found=1
  case "$result" in
    ok) verdict="attack succeeded (hole present)" ;;
    FAILED) verdict="attack FAILED (see $LOG)" ;;
    *) verdict="$result" ;;
  esac
  printf '%-50s %s\n' "$name" "$verdict"
done < <(sed -n 's/^test old_pallet_holes::\([a-z0-9_]*\) \.\.\. \([A-Za-z]*\).*/\1 \2/p' "$LOG")
[ "$found" -eq 1 ] || { tail -n 40 "$LOG"; die "no test ran (exit $rc); log: $LOG"; }
grep -E '^test result:' "$LOG" || true
exit "$rc"
